"""The Python API as a researcher uses it in a training loop: batches, torch tensors, DDP, mistakes, docstrings."""
from __future__ import annotations

import doctest
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import s5eval
from s5eval.metrics.inputs import MetricInputError

PUBLIC_MODULES = ["s5eval.metrics.capi", "s5eval.metrics.accumulator", "s5eval.metrics.sdr",
                  "s5eval.metrics.label_counts"]
RATE = 8000


def batch(seed: int = 0, size: int = 3, n: int = 3, samples: int = 4000):
    """A batch in the shapes a model gives: labels per slot (silence padding), (B, n, T) signals, (B, T) mixtures."""
    rng = np.random.default_rng(seed)
    refs = rng.standard_normal((size, n, samples)).astype(np.float32)
    ests = (refs + 0.3 * rng.standard_normal(refs.shape)).astype(np.float32)
    mixtures = refs.sum(axis=1) + 0.1 * rng.standard_normal((size, samples)).astype(np.float32)
    classes = ["Speech", "Dishes", "Cough", "Typing"]
    ref_labels = [[classes[(b + k) % 4] if k < 2 else "silence" for k in range(n)] for b in range(size)]
    est_labels = [[classes[(b + k) % 4] if k != 1 or b % 2 else "Doorbell" for k in range(n)] for b in range(size)]
    return est_labels, ests, ref_labels, refs, mixtures


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_docstring_examples_run(module):
    failed, attempted = doctest.testmod(importlib.import_module(module),
                                        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0 and failed == 0


def test_update_takes_a_batch_and_one_mixture_alike():
    est_labels, ests, ref_labels, refs, mixtures = batch()
    batched = s5eval.CAPISDRi()
    values = batched.update(est_labels, ests, ref_labels, refs, mixtures)
    single = s5eval.CAPISDRi()
    one_by_one = [single.update(el, ew, rl, rw, mx)
                  for el, ew, rl, rw, mx in zip(est_labels, ests, ref_labels, refs, mixtures)]
    assert values == one_by_one and batched.compute() == single.compute()
    assert batched.compute()["n_mixtures"] == 3


def test_forward_returns_the_batch_value_and_compute_the_epoch():
    metric = s5eval.CAPISDRi()
    first = metric(*batch(seed=1))
    second = metric(*batch(seed=2))
    whole = s5eval.CAPISDRi()
    whole.update(*batch(seed=1))
    whole.update(*batch(seed=2))
    assert metric.compute() == whole.compute()
    assert first != second and first["n_mixtures"] == second["n_mixtures"] == 3
    values = metric.values
    assert first["capi_sdri"] == pytest.approx(np.mean([v for v in values[:3] if v is not None]))


def test_torch_tensors_give_the_official_float32_values():
    torch = pytest.importorskip("torch")
    est_labels, ests, ref_labels, refs, mixtures = batch(seed=3)
    numpy_metric, torch_metric = s5eval.CAPISDRi(), s5eval.CAPISDRi()
    a = numpy_metric.update(est_labels, ests, ref_labels, refs, mixtures)
    b = torch_metric.update(est_labels, torch.from_numpy(ests), ref_labels, torch.from_numpy(refs),
                            torch.from_numpy(mixtures))
    assert all(isinstance(v, float) for v in b)
    assert b == pytest.approx(a, abs=1e-4)  # float32 (torch) against float64-accumulated (numpy) energies
    # the values are torchmetrics' signal_noise_ratio in float32
    eps = torch.finfo(torch.float32).eps
    s, e = torch.from_numpy(refs[0, 0]), torch.from_numpy(ests[0, 0])
    official = 10 * torch.log10((torch.sum(s ** 2) + eps) / (torch.sum((s - e) ** 2) + eps))
    result = s5eval.capi_sdri(est_labels[0][:1], torch.from_numpy(ests[0, :1]), ref_labels[0][:1],
                              torch.from_numpy(refs[0, :1]), torch.from_numpy(mixtures[0]))
    assert result.pairs[0].sdr == float(official)


def test_int16_signals_are_pcm16():
    _, ests, _, refs, mixtures = batch(seed=4, size=1, n=1)
    as_int16 = [np.round(x * 3000).astype(np.int16) for x in (ests[0], refs[0], mixtures[0])]
    scaled = [x.astype(np.float32) / 32768 for x in as_int16]
    a = s5eval.capi_sdri(["Speech"], as_int16[0], ["Speech"], as_int16[1], as_int16[2])
    b = s5eval.capi_sdri(["Speech"], scaled[0], ["Speech"], scaled[1], scaled[2])
    assert a.value == pytest.approx(b.value, abs=1e-9)


@pytest.mark.parametrize("mistake, words", [
    (lambda el, ew, rl, rw, mx: s5eval.capi_sdri(el, ew, rl, rw, mx), "for a batch use s5eval.CAPISDRi"),
    (lambda el, ew, rl, rw, mx: s5eval.capi_sdri(el[0], ew[0], rl[0], rw[0], np.stack([mx[0]] * 4)),
     "pass mixture[0]"),
    (lambda el, ew, rl, rw, mx: s5eval.capi_sdri(el[0], ew[0][:, :-1], rl[0], rw[0], mx[0]),
     "samples but the mixture has"),
    (lambda el, ew, rl, rw, mx: s5eval.capi_sdri(el[0], ew[0][:2], rl[0], rw[0], mx[0]), "one waveform per label"),
    (lambda el, ew, rl, rw, mx: s5eval.capi_sdri([0, 1, 18], ew[0], rl[0], rw[0], mx[0]), "class names such as"),
    (lambda el, ew, rl, rw, mx: s5eval.capi_sdri(["Guitar"] * 3, ew[0], rl[0], rw[0], mx[0]),
     "neither a class of dcase2026t4"),
    (lambda el, ew, rl, rw, mx: s5eval.CAPISDRi().update(el, ew, rl, rw, mx[:2]), "batch sizes must agree"),
    (lambda el, ew, rl, rw, mx: s5eval.CAPISDRi().update(el, ew, rl, rw, np.stack([mx] * 4, axis=1)),
     "pass mixture[0]"),
])
def test_mistakes_get_a_sentence(mistake, words):
    with pytest.raises(MetricInputError) as caught:
        mistake(*batch(seed=5))
    assert words in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_custom_label_set_or_none():
    _, ests, _, refs, mixtures = batch(seed=6, size=1, n=1)
    value = s5eval.capi_sdri(["Guitar"], ests[0], ["Guitar"], refs[0], mixtures[0], label_set=["Guitar", "Piano"]).value
    assert value is not None
    assert s5eval.capi_sdri(["x"], ests[0], ["x"], refs[0], mixtures[0], label_set=None).value == value


DDP_WORKER = r"""
import json, sys
import numpy as np
import torch
import torch.distributed as dist
sys.path.insert(0, sys.argv[4])
from test_api_training import batch
import s5eval

rank, world, init = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
metric = s5eval.CAPISDRi()
metric.update(*batch(seed=10 + rank))   # each rank sees its own mixtures
figures = metric.compute()
if rank == 0:
    print(json.dumps(figures))
dist.destroy_process_group()
"""


def test_compute_sums_the_states_of_ddp_ranks(tmp_path):
    pytest.importorskip("torch")
    init = f"file://{tmp_path / 'rendezvous'}"
    script = tmp_path / "worker.py"
    script.write_text(DDP_WORKER)
    here = str(Path(__file__).parent)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, str(script), str(rank), "2", init, here], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for rank in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    distributed = json.loads(outputs[0][0].strip().splitlines()[-1])
    alone = s5eval.CAPISDRi()
    alone.update(*batch(seed=10))
    alone.update(*batch(seed=11))
    expected = alone.compute()
    assert distributed["n_mixtures"] == expected["n_mixtures"] == 6
    for key in ("capi_sdri", "accuracy_mix", "accuracy_src"):
        assert distributed[key] == pytest.approx(expected[key], abs=1e-12)
