"""Reference-set synthesizer: procedural S5 mixtures in the DCASE layout (``s5eval synth``)."""
from .api import Example, SynthConfig, make_example

__all__ = ["Example", "SynthConfig", "make_example"]
