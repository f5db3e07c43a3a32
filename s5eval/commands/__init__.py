"""Click commands, one module each; :mod:`s5eval.cli` assembles them."""
