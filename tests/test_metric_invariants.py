"""Metric invariants, checked with hypothesis on random mixtures."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s5eval.metrics.capi import capi_sdri
from s5eval.metrics.label_counts import label_counts

CLASSES = ["Speech", "Dishes", "Typing"]
LENGTH = 2000
SETTINGS = settings(max_examples=80, deadline=None, derandomize=True)


@st.composite
def mixtures(draw, min_ref=0):
    """(ref_labels, refs, est_labels, ests, mixture) with estimates built from the references."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    ref_labels = draw(st.lists(st.sampled_from(CLASSES), min_size=min_ref, max_size=4))
    est_labels = draw(st.lists(st.sampled_from(CLASSES), max_size=4))
    refs = [rng.standard_normal(LENGTH).astype(np.float32) for _ in ref_labels]
    mixture = (np.sum(refs, axis=0) if refs else np.zeros(LENGTH, np.float32)) + \
        0.3 * rng.standard_normal(LENGTH).astype(np.float32)
    ests = []
    for _ in est_labels:
        base = refs[rng.integers(len(refs))] if refs else np.zeros(LENGTH, np.float32)
        ests.append((base + rng.uniform(0.05, 2.0) * rng.standard_normal(LENGTH)).astype(np.float32))
    return ref_labels, refs, est_labels, ests, mixture


@SETTINGS
@given(mixtures(), st.randoms(use_true_random=False), st.sampled_from(["official", "paper"]))
def test_estimate_order_never_changes_the_score(case, random, selection):
    ref_labels, refs, est_labels, ests, mixture = case
    order = list(range(len(est_labels)))
    random.shuffle(order)
    a = capi_sdri(est_labels, ests, ref_labels, refs, mixture, selection=selection).value
    b = capi_sdri([est_labels[i] for i in order], [ests[i] for i in order], ref_labels, refs, mixture,
                  selection=selection).value
    assert (a is None and b is None) or a == pytest.approx(b, abs=1e-9)


@SETTINGS
@given(mixtures(min_ref=1), st.sampled_from(["official", "paper"]))
def test_oracle_scores_at_least_any_perturbation(case, selection):
    ref_labels, refs, est_labels, ests, mixture = case
    oracle = capi_sdri(ref_labels, refs, ref_labels, refs, mixture, selection=selection).value
    perturbed = capi_sdri(est_labels, ests, ref_labels, refs, mixture, selection=selection).value
    assert perturbed is not None and oracle >= perturbed
    noisy = [r + 0.01 * np.ones_like(r) for r in refs]
    assert oracle >= capi_sdri(ref_labels, noisy, ref_labels, refs, mixture, selection=selection).value


@SETTINGS
@given(mixtures(), st.sampled_from(["official", "paper"]), st.floats(-20, 0))
def test_a_false_positive_adds_one_penalty_entry(case, selection, penalty_fp):
    """A false positive of a class absent from the reference adds one entry worth P_FP:
    new = (N·old + P_FP)/(N + 1), so it never raises a score that is at least P_FP."""
    ref_labels, refs, est_labels, ests, mixture = case
    extra = "Blender"
    before = capi_sdri(est_labels, ests, ref_labels, refs, mixture, selection=selection, penalty_fp=penalty_fp)
    after = capi_sdri(est_labels + [extra], ests + [mixture], ref_labels, refs, mixture, selection=selection,
                      penalty_fp=penalty_fp)
    if before.value is None:
        assert after.value == pytest.approx(penalty_fp)
        return
    n = before.n_entries
    assert after.value == pytest.approx((n * before.value + penalty_fp) / (n + 1), abs=1e-9)
    if before.value >= penalty_fp:
        assert after.value <= before.value + 1e-12


@SETTINGS
@given(mixtures(min_ref=1))
def test_mixture_as_every_estimate_scores_exactly_zero(case):
    ref_labels, refs, _, _, mixture = case
    result = capi_sdri(ref_labels, [mixture] * len(ref_labels), ref_labels, refs, mixture)
    assert result.value == 0.0


@SETTINGS
@given(st.lists(st.sampled_from(CLASSES), max_size=5), st.lists(st.sampled_from(CLASSES), max_size=5))
def test_label_counts_are_consistent(est, ref):
    counts = label_counts(est, ref)
    assert counts.tp + counts.fp == len(est)
    assert counts.tp + counts.fn == len(ref)
    assert counts.correct == (sorted(est) == sorted(ref))
    swapped = label_counts(ref, est)
    assert (swapped.tp, swapped.fp, swapped.fn) == (counts.tp, counts.fn, counts.fp)
