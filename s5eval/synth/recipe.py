"""The DCASE 2026 S5 mixing recipe.

One mixture: a room; 0–``max_targets`` targets (SNR 5–20 dB), 0–2 interferers
(SNR 0–15 dB), each a source event convolved with the FOA room response of its
direction; diffuse 4-channel background noise. Same-class targets are at least
60° apart. The dry target of each target is its source convolved with the
direct path (−6…+50 ms around the peak) of the omnidirectional channel's
response, time-aligned with the mixture. One gain is applied to everything so
the mixture peaks at a random level below full scale; SNRs are unchanged by it.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.signal import oaconvolve

from . import rooms
from .config import SynthConfig

_SEED_BITS = 2**62


def draw_labels(rng: np.random.Generator, config: "SynthConfig") -> tuple[str, list[str]]:
    """Target labels of one mixture and its kind: ``zero``, ``dup`` (a repeated class) or ``nodup``."""
    classes = list(config.classes)
    u = rng.random()
    if u < config.zero_target_rate:
        return "zero", []
    if u < config.zero_target_rate + config.dup_rate:
        n = int(rng.integers(2, config.max_targets + 1))
        repeated = classes[int(rng.integers(len(classes)))]
        others = [c for c in classes if c != repeated]
        extra = [others[i] for i in rng.choice(len(others), size=n - 2, replace=False)] if n > 2 else []
        labels = [repeated, repeated] + extra
        return "dup", [labels[i] for i in rng.permutation(n)]
    n = int(rng.integers(1, min(config.max_targets, len(classes)) + 1))
    return "nodup", [classes[i] for i in rng.choice(len(classes), size=n, replace=False)]


def draw_directions(rng: np.random.Generator, labels: list[str], n_interferers: int,
                    min_separation_deg: float) -> list[tuple[float, float]]:
    """(azimuth, elevation) in degrees on the room grid for each target then each interferer.

    Targets of the same class are redrawn until they are ``min_separation_deg`` apart.
    """
    grid = [(az, el) for az in rooms.AZIMUTHS_DEG for el in rooms.ELEVATIONS_DEG]
    vectors = np.stack([rooms.direction_vector(az, el) for az, el in grid])
    min_cos = np.cos(np.deg2rad(min_separation_deg)) - 1e-9  # strictly more than the limit, float-safe
    chosen_idx: list[int] = []
    for k, label in enumerate(labels):
        allowed = np.ones(len(grid), dtype=bool)
        for j in range(k):
            if labels[j] == label:
                allowed &= vectors @ vectors[chosen_idx[j]] <= min_cos
        candidates = np.flatnonzero(allowed)
        chosen_idx.append(int(candidates[int(rng.integers(candidates.size))]))
    chosen = [grid[i] for i in chosen_idx]
    for _ in range(n_interferers):
        chosen.append(grid[int(rng.integers(len(grid)))])
    return chosen


def _place(event: np.ndarray, onset: int, rir: np.ndarray, n: int) -> np.ndarray:
    """Convolve an event with a (C, L) response and place it at ``onset`` in a (C, n) buffer."""
    wet = oaconvolve(event[None, :], rir.astype(np.float64), axes=1)
    out = np.zeros((rir.shape[0], n))
    stop = min(n, onset + wet.shape[1])
    out[:, onset:stop] = wet[:, : stop - onset]
    return out


def _span_power(x: np.ndarray, start: int, stop: int) -> float:
    seg = x[start:stop]
    return float(np.mean(seg**2)) if seg.size else 0.0


def build_example(rng: np.random.Generator, config: "SynthConfig"):
    """Build one mixture. Returns ``(mixture, targets, parts, metadata)`` (see :class:`api.Example`)."""
    from .pool_choice import pool_for

    pool = pool_for(config)
    sr, n = config.samplerate, config.n_samples
    kind, labels = draw_labels(rng, config)
    n_interferers = int(rng.integers(0, config.max_interferers + 1))
    directions = draw_directions(rng, labels, n_interferers, config.min_same_class_separation_deg)
    room = pool.draw_room(rng)
    placements = pool.place(room, rng, labels, directions, config.min_same_class_separation_deg)

    noise = pool.noise(np.random.default_rng(int(rng.integers(_SEED_BITS))), sr, n)  # (4, n), unit RMS on ch 0

    roles = ["target"] * len(labels) + ["interferer"] * n_interferers
    parts: list[tuple[str, np.ndarray]] = []
    dry_targets: list[np.ndarray] = []
    sources_meta: list[dict] = []
    for k, (role, (az, el)) in enumerate(zip(roles, directions)):
        instance_seed = int(rng.integers(_SEED_BITS))
        low, high = config.event_seconds
        duration = min(config.seconds, float(rng.uniform(low, high)))
        length = max(1, int(round(duration * sr)))
        onset = int(rng.integers(0, n - length + 1))
        distance = float(rng.choice(rooms.DISTANCES_M))
        measured = {}
        if placements is not None:  # a measured room: the nearest measured position is the one used
            place = placements[k]
            az, el, distance = place.azimuth_deg, place.elevation_deg, place.distance_m
            measured = {"room_file": place.file, "measurement": place.measurement}
        snr_low, snr_high = config.target_snr_db if role == "target" else config.interferer_snr_db
        snr = float(rng.uniform(snr_low, snr_high))
        if role == "target":
            label = labels[k]
            event, source_id = pool.target(label, np.random.default_rng(instance_seed), sr, length)
        else:
            label, event, source_id = pool.interferer(np.random.default_rng(instance_seed), sr, length)
        rir = pool.rir(room, az, el, distance, sr)
        wet = _place(event, onset, rir, n)
        span = (onset, min(n, onset + length))
        scale = np.sqrt(10 ** (snr / 10) * _span_power(noise[0], *span) / max(_span_power(wet[0], *span), 1e-20))
        wet *= scale
        index = len(dry_targets) if role == "target" else k - len(labels)
        parts.append((f"{role}:{index}:{label}", wet))
        if role == "target":
            dry = _place(event, onset, rooms.direct_path(rir[0].astype(np.float64), sr)[None, :], n)[0] * scale
            dry_targets.append(dry)
        sources_meta.append({
            "role": role, "index": index, "label": label, "source_id": source_id,
            "azimuth_deg": az, "elevation_deg": el, "distance_m": distance, "snr_db": snr,
            "onset_s": onset / sr, "duration_s": length / sr, **measured,
        })
    parts.append(("noise", noise))

    total = np.sum([p for _, p in parts], axis=0)
    peak = float(np.max(np.abs(total)))
    target_peak = max([float(np.max(np.abs(d))) for d in dry_targets], default=0.0)
    gain = float(rng.uniform(*config.peak_level)) / peak
    if target_peak * gain > 0.99:
        gain = 0.99 / target_peak
    parts32 = [(name, (p * gain).astype(np.float32)) for name, p in parts]
    mixture = np.sum([p.astype(np.float64) for _, p in parts32], axis=0).astype(np.float32)
    targets = [(label, (d * gain).astype(np.float32)) for label, d in zip(labels, dry_targets)]

    metadata: dict[str, Any] = {
        "labels": labels,
        "kind": kind,
        "samplerate": sr,
        "seconds": n / sr,
        "rooms": pool.room_model,
        "room": room.as_dict(),  # a pool's rooms (rooms.Room, sofa_rooms.SofaRoom) all have as_dict
        "targets": [m for m in sources_meta if m["role"] == "target"],
        "interferers": [m for m in sources_meta if m["role"] == "interferer"],
        "noise": {"model": pool.noise_model, "level_db_re_full_scale": 20 * np.log10(gain + 1e-30)},
        "gain": gain,
        "channel_format": "FOA ACN/SN3D (W, Y, Z, X)",
    }
    for m in metadata["targets"] + metadata["interferers"]:
        del m["role"]
    return mixture, targets, parts32, metadata
