"""Procedural sound sources: one generator per DCASE S5 class, interferers, background noise.

Every generator takes ``(rng, samplerate, n_samples)`` and returns a mono
float64 signal of exactly ``n_samples`` samples with unit RMS over its active
part. All randomness comes from ``rng`` (a :class:`numpy.random.Generator`), so
a generator is deterministic in its seed and varied between seeds (pitch,
rate, timbre, envelope and timing are all drawn per instance).

The classes are built from different mechanisms so that they differ in a
spectrogram: tonal beeps (AlarmClock), inharmonic rings (BicycleBell),
broadband noise with motor hum (Blender, HairDryer, VacuumCleaner), formant-
filtered glottal pulses (Speech), irregular clicks (Typing), and so on.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import fft as sp_fft
from scipy import signal

from ..labels import DCASE_CLASSES

Generator = Callable[[np.random.Generator, int, int], np.ndarray]


# --------------------------------------------------------------------------- helpers

def _time(sr: int, n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64) / sr


def _band(x: np.ndarray, sr: int, low: float | None, high: float | None, order: int = 2) -> np.ndarray:
    """Butterworth filter: band-pass (low, high), high-pass (low, None) or low-pass (None, high), in Hz."""
    nyq = 0.5 * sr
    if low is not None and high is not None:
        sos = signal.butter(order, [low / nyq, min(high / nyq, 0.99)], btype="band", output="sos")
    elif low is not None:
        sos = signal.butter(order, low / nyq, btype="high", output="sos")
    elif high is not None:
        sos = signal.butter(order, min(high / nyq, 0.99), btype="low", output="sos")
    else:
        raise TypeError("_band needs a low or a high cutoff")
    return signal.sosfilt(sos, x)


def _resonator(x: np.ndarray, sr: int, freq: float, q: float) -> np.ndarray:
    """Second-order resonant band-pass at ``freq`` Hz with quality factor ``q``."""
    b, a = signal.iirpeak(min(freq, 0.45 * sr), q, fs=sr)
    return signal.lfilter(b, a, x)


def _pink(rng: np.random.Generator, n: int) -> np.ndarray:
    """Pink (1/f power) noise by spectral shaping of white noise."""
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(spec.size, dtype=np.float64)
    freqs[0] = 1.0
    return np.fft.irfft(spec / np.sqrt(freqs), n)


def _decay(n_len: int, sr: int, tau: float) -> np.ndarray:
    """Exponential decay envelope, time constant ``tau`` seconds."""
    return np.exp(-np.arange(n_len) / (tau * sr))


def _add_at(out: np.ndarray, start: int, grain: np.ndarray) -> None:
    """Add ``grain`` into ``out`` from sample ``start``, clipped to the buffer."""
    if start >= out.size or start + grain.size <= 0:
        return
    if start < 0:
        grain, start = grain[-start:], 0
    stop = min(out.size, start + grain.size)
    out[start:stop] += grain[: stop - start]


def _fade(x: np.ndarray, sr: int, seconds: float = 0.02) -> np.ndarray:
    """Raised-cosine fade in and out, so no event starts or ends with a click."""
    k = min(int(seconds * sr), x.size // 2)
    if k > 0:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, k))
        x[:k] *= ramp
        x[-k:] *= ramp[::-1]
    return x


def _slow_wobble(rng: np.random.Generator, sr: int, n: int, depth: float, rate: float) -> np.ndarray:
    """Smooth random modulation around 1 (depth: relative, rate: Hz)."""
    knots = max(4, int(n / sr * rate) + 4)
    values = rng.standard_normal(knots)
    curve = np.interp(np.linspace(0, knots - 1, n), np.arange(knots), values)
    return 1.0 + depth * np.tanh(curve)


def _harmonic(t: np.ndarray, f0: np.ndarray | float, amps: np.ndarray, phase: float = 0.0) -> np.ndarray:
    """Sum of harmonics of ``f0`` (Hz, scalar or per-sample) with amplitudes ``amps``."""
    inst_phase = 2 * np.pi * np.cumsum(np.broadcast_to(f0, t.shape)) * (t[1] - t[0]) if t.size > 1 else t * 0
    out = np.zeros_like(t)
    for k, amp in enumerate(amps, start=1):
        out += amp * np.sin(k * inst_phase + phase * k)
    return out


def _unit_rms(x: np.ndarray) -> np.ndarray:
    active = np.abs(x) > 1e-4 * (np.max(np.abs(x)) + 1e-12)
    rms = np.sqrt(np.mean(x[active] ** 2)) if active.any() else 0.0
    return x / rms if rms > 0 else x


# --------------------------------------------------------------------------- target classes

def alarm_clock(rng, sr, n):
    """Groups of square-ish electronic beeps (2–4 kHz) repeated every 0.6–1.2 s."""
    t = _time(sr, n)
    f0 = rng.uniform(2000, 4000)
    tone = np.sign(np.sin(2 * np.pi * f0 * t)) * 0.5 + 0.5 * np.sin(2 * np.pi * f0 * t)
    gate = np.zeros(n)
    beeps, beep_len = int(rng.integers(1, 5)), rng.uniform(0.05, 0.12)
    gap, period = rng.uniform(0.05, 0.12), rng.uniform(0.6, 1.2)
    start = 0.0
    while start < n / sr:
        for b in range(beeps):
            s = int((start + b * (beep_len + gap)) * sr)
            _add_at(gate, s, _fade(np.ones(int(beep_len * sr)), sr, 0.003))
        start += period
    return _band(tone * gate, sr, 300, 10000)


def bicycle_bell(rng, sr, n):
    """Struck bell: inharmonic partials (ratios ≈ 1, 2.3, 4.1, 6.6) decaying over 0.3–1 s, 1–3 rings."""
    out = np.zeros(n)
    f0 = rng.uniform(1800, 3600)
    ratios = np.array([1.0, 2.32, 4.12, 6.61]) * rng.uniform(0.97, 1.03, 4)
    tau = rng.uniform(0.25, 0.8)
    length = min(n, int(5 * tau * sr))
    tt = np.arange(length) / sr
    strike = sum(a * np.sin(2 * np.pi * f0 * r * tt + rng.uniform(0, 2 * np.pi)) * np.exp(-tt / (tau / (1 + i)))
                 for i, (a, r) in enumerate(zip([1.0, 0.6, 0.35, 0.2], ratios)))
    beat = 1 + 0.3 * np.sin(2 * np.pi * rng.uniform(3, 9) * tt)  # two near-degenerate modes beating
    strike = strike * beat
    when = 0.0
    for _ in range(int(rng.integers(1, 4))):
        for hit in range(int(rng.integers(1, 3))):  # "ring-ring": quick double strike
            _add_at(out, int((when + hit * rng.uniform(0.08, 0.15)) * sr), strike)
        when += rng.uniform(0.6, 1.5)
    return out


def blender(rng, sr, n):
    """Motor hum (80–200 Hz, many harmonics) with a loaded, fluctuating broadband whirl."""
    t = _time(sr, n)
    f0 = rng.uniform(80, 200) * _slow_wobble(rng, sr, n, 0.05, 2.0)
    hum = _harmonic(t, f0, 1.0 / np.arange(1, 25) ** 0.7)
    whirl = _band(rng.standard_normal(n), sr, rng.uniform(300, 800), rng.uniform(3000, 7000))
    chop = 1 + 0.5 * np.sin(2 * np.pi * rng.uniform(8, 20) * t)
    x = 0.6 * hum + 2.0 * whirl * chop * _slow_wobble(rng, sr, n, 0.4, 3.0)
    return _fade(x, sr, 0.3)


def buzzer(rng, sr, n):
    """Harsh sawtooth buzz (100–400 Hz) in long on/off segments."""
    t = _time(sr, n)
    f0 = rng.uniform(100, 400)
    saw = signal.sawtooth(2 * np.pi * f0 * t)
    gate = np.zeros(n)
    pos = 0.0
    while pos < n / sr:
        on = rng.uniform(0.3, 1.5)
        _add_at(gate, int(pos * sr), _fade(np.ones(int(on * sr)), sr, 0.005))
        pos += on + rng.uniform(0.2, 1.0)
    return _band(saw * gate, sr, 100, 8000)


def clapping(rng, sr, n):
    """Irregular sharp noise bursts (5–15 ms decay) at 2–6 claps per second, band 0.8–5 kHz."""
    out = np.zeros(n)
    rate, tau = rng.uniform(2, 6), rng.uniform(0.005, 0.015)
    centre = rng.uniform(1000, 2500)
    pos = rng.uniform(0, 0.2)
    while pos < n / sr:
        grain = rng.standard_normal(int(8 * tau * sr)) * _decay(int(8 * tau * sr), sr, tau)
        _add_at(out, int(pos * sr), grain * rng.uniform(0.6, 1.0))
        pos += rng.gamma(8.0, 1.0 / (8.0 * rate))
    return _resonator(out, sr, centre, 1.2) + 0.3 * _band(out, sr, 800, 5000)


def cough(rng, sr, n):
    """1–4 coughs: explosive noise burst shaped by two broad formants, 0.2–0.45 s each."""
    out = np.zeros(n)
    pos = rng.uniform(0, 0.3)
    f1, f2 = rng.uniform(400, 800), rng.uniform(1200, 2200)
    for _ in range(int(rng.integers(1, 5))):
        length = int(rng.uniform(0.2, 0.45) * sr)
        env = np.minimum(np.arange(length) / (0.01 * sr), 1.0) * _decay(length, sr, rng.uniform(0.05, 0.12))
        burst = rng.standard_normal(length) * env
        shaped = _resonator(burst, sr, f1, 2.0) + 0.7 * _resonator(burst, sr, f2, 3.0) + 0.2 * burst
        _add_at(out, int(pos * sr), shaped)
        pos += rng.uniform(0.35, 0.9)
        if pos > n / sr:
            break
    return out


def cupboard_open_close(rng, sr, n):
    """A creaking hinge (irregular stick-slip pulses 150–600 Hz, gliding) then a wooden thud."""
    out = np.zeros(n)
    creak_len = min(n, int(rng.uniform(0.4, 1.2) * sr))
    t = np.arange(creak_len) / sr
    f = rng.uniform(150, 400) * (1 + rng.uniform(-0.4, 0.6) * t / t[-1]) * (1 + 0.05 * rng.standard_normal(creak_len).cumsum() / np.sqrt(creak_len))
    pulses = (np.diff(np.floor(np.cumsum(f) / sr), prepend=0) > 0).astype(float)
    creak = _resonator(pulses * rng.uniform(0.5, 1.0, creak_len), sr, rng.uniform(900, 2000), 6.0)
    _add_at(out, 0, _fade(creak, sr, 0.05))
    thud_len = int(0.3 * sr)
    thud = rng.standard_normal(thud_len) * _decay(thud_len, sr, 0.02)
    thud = _resonator(thud, sr, rng.uniform(90, 220), 4.0) * 3 + _band(thud, sr, None, 1500)
    _add_at(out, creak_len + int(rng.uniform(0.1, 0.5) * sr), thud)
    return out


def dishes(rng, sr, n):
    """Clinks of ceramic and cutlery: random short high-Q inharmonic resonances (2–8 kHz)."""
    out = np.zeros(n)
    pos = rng.uniform(0, 0.2)
    while pos < n / sr:
        length = int(rng.uniform(0.08, 0.25) * sr)
        tt = np.arange(length) / sr
        base = rng.uniform(2000, 5500)
        grain = sum(np.sin(2 * np.pi * base * r * tt) * np.exp(-tt / rng.uniform(0.02, 0.08))
                    for r in (1.0, rng.uniform(1.4, 1.8), rng.uniform(2.3, 2.9)))
        _add_at(out, int(pos * sr), grain * rng.uniform(0.3, 1.0))
        pos += rng.exponential(0.25)
    return out


def doorbell(rng, sr, n):
    """Ding-dong: two (or three) struck chime tones a third or fourth apart, slow decay."""
    out = np.zeros(n)
    f_high = rng.uniform(600, 1100)
    interval = 2 ** (rng.choice([3, 4, 5]) / 12)
    notes = [f_high, f_high / interval] + ([f_high / interval ** 2] if rng.random() < 0.3 else [])
    tau = rng.uniform(0.4, 1.0)
    pos = rng.uniform(0, 0.2)
    for f in notes:
        length = min(n, int(5 * tau * sr))
        tt = np.arange(length) / sr
        tone = (np.sin(2 * np.pi * f * tt) + 0.4 * np.sin(2 * np.pi * 2 * f * tt) + 0.15 * np.sin(2 * np.pi * 3.01 * f * tt))
        _add_at(out, int(pos * sr), tone * np.exp(-tt / tau))
        pos += rng.uniform(0.4, 0.8)
    return out


def foot_steps(rng, sr, n):
    """Walking: low thumps (heel + toe) at 1.4–2.4 steps per second with slight timing jitter."""
    out = np.zeros(n)
    period = 1.0 / rng.uniform(1.4, 2.4)
    body = rng.uniform(80, 200)
    scuff = rng.uniform(0.0, 0.5)  # hard shoes on a hard floor scuff more
    pos = rng.uniform(0, 0.3)
    while pos < n / sr:
        for offset, gain in ((0.0, 1.0), (rng.uniform(0.04, 0.09), 0.6)):
            length = int(0.12 * sr)
            grain = rng.standard_normal(length) * _decay(length, sr, rng.uniform(0.01, 0.03))
            step = 3 * _resonator(grain, sr, body, 2.0) + scuff * _band(grain, sr, 2000, 6000)
            _add_at(out, int((pos + offset) * sr), gain * step)
        pos += period * rng.uniform(0.92, 1.08)
    return out


def hair_dryer(rng, sr, n):
    """Steady airy high-passed noise with a fan whine (1–3 kHz) and slight flutter."""
    t = _time(sr, n)
    air = _band(rng.standard_normal(n), sr, rng.uniform(800, 2000), None)
    whine_f = rng.uniform(1000, 3000) * _slow_wobble(rng, sr, n, 0.01, 1.0)
    whine = _harmonic(t, whine_f, [1.0, 0.3])
    x = air * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(30, 60) * t)) + 0.25 * whine
    return _fade(x, sr, 0.2)


def mechanical_fans(rng, sr, n):
    """Low blade-pass hum (30–120 Hz harmonics) over low-passed noise, slowly swelling."""
    t = _time(sr, n)
    bpf = rng.uniform(30, 120)
    hum = _harmonic(t, bpf, [1.0, 0.5, 0.3, 0.15])
    wind = _band(_pink(rng, n), sr, None, rng.uniform(600, 1500))
    x = (0.5 * hum + wind / (np.std(wind) + 1e-12)) * _slow_wobble(rng, sr, n, 0.3, 0.5)
    return _fade(x, sr, 0.5)


def musical_keyboard(rng, sr, n):
    """A melody of piano-like notes from a random scale: harmonic partials, sharp attack, decay."""
    out = np.zeros(n)
    root = 110.0 * 2 ** rng.uniform(0, 2)
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12, 14, 16])
    tempo = rng.uniform(0.15, 0.5)
    bright = rng.uniform(0.3, 0.8)
    pos = rng.uniform(0, 0.2)
    while pos < n / sr:
        f = root * 2 ** (rng.choice(scale) / 12)
        length = int(rng.uniform(0.3, 1.0) * sr)
        tt = np.arange(length) / sr
        note = sum(bright ** (k - 1) * np.sin(2 * np.pi * f * k * tt) * np.exp(-tt * k / rng.uniform(0.3, 0.8))
                   for k in range(1, 8))
        _add_at(out, int(pos * sr), note * rng.uniform(0.6, 1.0))
        pos += tempo * rng.choice([1, 1, 2])
    return out


def percussion(rng, sr, n):
    """A drum pattern: kick (pitch-dropping sine), snare (noise + tone) and hi-hat on a beat grid."""
    out = np.zeros(n)
    beat = 60.0 / rng.uniform(80, 160) / 2  # eighth notes
    length = int(0.25 * sr)
    tt = np.arange(length) / sr
    kick = np.sin(2 * np.pi * np.cumsum(50 + 120 * np.exp(-tt / 0.03)) / sr) * np.exp(-tt / 0.12)
    snare = (rng.standard_normal(length) * 0.8 + np.sin(2 * np.pi * rng.uniform(170, 250) * tt)) * np.exp(-tt / 0.06)
    hat = _band(rng.standard_normal(length), sr, 7000, None) * np.exp(-tt / 0.02)
    patterns = rng.random((3, 8)) < np.array([[0.5], [0.35], [0.7]])
    patterns[0, 0] = patterns[1, 4] = True
    step = 0
    while step * beat < n / sr:
        for voice, sample in enumerate((kick, snare, hat)):
            if patterns[voice, step % 8]:
                _add_at(out, int(step * beat * sr), sample * (1.0, 0.8, 0.4)[voice])
        step += 1
    return out


def pour(rng, sr, n):
    """Pouring liquid: dense bubble chirps (rising 0.5–3 kHz resonances) over a splash noise bed."""
    out = np.zeros(n)
    density = rng.uniform(30, 90)  # bubbles per second
    n_bubbles = int(density * n / sr)
    for _ in range(n_bubbles):
        length = int(rng.uniform(0.01, 0.04) * sr)
        tt = np.arange(length) / sr
        f = rng.uniform(500, 3000)
        rise = 1 + rng.uniform(0.5, 2.0) * tt / tt[-1]
        grain = np.sin(2 * np.pi * np.cumsum(f * rise) / sr) * np.exp(-tt / (length / sr / 3))
        _add_at(out, int(rng.uniform(0, n)), grain * rng.uniform(0.2, 1.0))
    bed = _band(rng.standard_normal(n), sr, 1500, 6000) * 0.3
    return _fade(out + bed * _slow_wobble(rng, sr, n, 0.5, 4.0), sr, 0.2)


_VOWELS = np.array([[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240], [530, 1840, 2480],
                    [570, 840, 2410], [660, 1720, 2410], [440, 1020, 2240]], dtype=float)


def speech(rng, sr, n):
    """Voiced syllables: a jittered glottal pulse train (90–250 Hz, intonation) through vowel formants,
    with fricative noise between syllables and pauses between phrases."""
    out = np.zeros(n)
    f0_base = rng.uniform(90, 250)
    rate = rng.uniform(3.0, 6.0)  # syllables per second
    shift = rng.uniform(0.9, 1.15)  # vocal tract length
    pos = rng.uniform(0, 0.2)
    while pos < n / sr:
        for _ in range(int(rng.integers(3, 9))):  # a phrase
            length = int(rng.uniform(0.6, 1.2) / rate * sr)
            tt = np.arange(length) / sr
            f0 = f0_base * (1 + 0.15 * np.sin(np.pi * tt / tt[-1]) * rng.uniform(-1, 1)) * (1 + 0.01 * rng.standard_normal(length))
            pulses = (np.diff(np.floor(np.cumsum(f0) / sr), prepend=0) > 0).astype(float)
            voice = signal.lfilter([1.0], [1.0, -0.95], pulses)  # glottal roll-off
            formants = _VOWELS[rng.integers(len(_VOWELS))] * shift
            syllable = sum(_resonator(voice, sr, f, 8.0) * g for f, g in zip(formants, (1.0, 0.5, 0.25)))
            syllable *= np.clip(np.sin(np.pi * tt / tt[-1]), 0.0, None) ** 0.5
            if rng.random() < 0.4:  # a fricative consonant before the vowel
                fric_len = int(rng.uniform(0.04, 0.1) * sr)
                fric = _band(rng.standard_normal(fric_len), sr, 3000, 8000) * 0.3
                _add_at(out, int(pos * sr), _fade(fric, sr, 0.01))
                pos += fric_len / sr
            _add_at(out, int(pos * sr), syllable)
            pos += length / sr
        pos += rng.uniform(0.2, 0.8)
    return out


def typing(rng, sr, n):
    """Keyboard typing: irregular short clicks (key resonance 2–6 kHz), bursts of words and pauses."""
    out = np.zeros(n)
    res = rng.uniform(2000, 6000)
    pos = rng.uniform(0, 0.2)
    while pos < n / sr:
        length = int(0.02 * sr)
        click = rng.standard_normal(length) * _decay(length, sr, rng.uniform(0.002, 0.005))
        key = _resonator(click, sr, res * rng.uniform(0.85, 1.15), 5.0) + 0.3 * click
        _add_at(out, int(pos * sr), key * rng.uniform(0.4, 1.0))
        pos += rng.gamma(3.0, rng.uniform(0.04, 0.07))
        if rng.random() < 0.1:
            pos += rng.uniform(0.3, 1.0)  # a pause between words
    return out


def vacuum_cleaner(rng, sr, n):
    """Loud broadband roar (pink noise) with a high motor whine (200–500 Hz harmonics), steady."""
    t = _time(sr, n)
    roar = _band(_pink(rng, n), sr, 100, 10000)
    roar /= np.std(roar) + 1e-12
    whine = _harmonic(t, rng.uniform(200, 500) * _slow_wobble(rng, sr, n, 0.01, 0.5), [1.0, 0.6, 0.4, 0.3, 0.2])
    x = roar * _slow_wobble(rng, sr, n, 0.15, 1.0) + 0.4 * whine
    return _fade(x, sr, 0.4)


CLASS_GENERATORS: dict[str, Generator] = dict(zip(DCASE_CLASSES, (
    alarm_clock, bicycle_bell, blender, buzzer, clapping, cough, cupboard_open_close, dishes, doorbell,
    foot_steps, hair_dryer, mechanical_fans, musical_keyboard, percussion, pour, speech, typing, vacuum_cleaner,
)))


# --------------------------------------------------------------------------- interferers and noise

def siren(rng, sr, n):
    """A distant siren sweeping between two pitches."""
    t = _time(sr, n)
    lo = rng.uniform(500, 800)
    f = lo + lo * 0.5 * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.2, 0.6) * t))
    return _fade(_harmonic(t, f, [1.0, 0.4, 0.2]), sr, 0.3)


def bird(rng, sr, n):
    """Bird chirps: fast downward frequency sweeps (3–7 kHz)."""
    out = np.zeros(n)
    pos = rng.uniform(0, 0.3)
    while pos < n / sr:
        length = int(rng.uniform(0.05, 0.15) * sr)
        tt = np.arange(length) / sr
        f = rng.uniform(3000, 7000) * (1 - 0.4 * tt / tt[-1])
        _add_at(out, int(pos * sr), np.sin(2 * np.pi * np.cumsum(f) / sr) * np.sin(np.pi * tt / tt[-1]))
        pos += rng.uniform(0.1, 0.6)
    return out


def engine(rng, sr, n):
    """An idling engine: low pulsed rumble (20–60 Hz firing rate)."""
    t = _time(sr, n)
    firing = rng.uniform(20, 60)
    pulses = np.maximum(np.sin(2 * np.pi * firing * t), 0) ** 4
    x = _band(pulses * (1 + 0.5 * rng.standard_normal(n)), sr, 20, 800)
    return _fade(x, sr, 0.3)


def television(rng, sr, n):
    """Muffled broadcast sound: band-limited noise modulated at a syllabic rate."""
    t = _time(sr, n)
    x = _band(rng.standard_normal(n), sr, 300, 3000)
    return _fade(x * (0.5 + 0.5 * np.abs(np.sin(2 * np.pi * rng.uniform(2, 5) * t)) * _slow_wobble(rng, sr, n, 0.6, 5)), sr, 0.2)


def knocking(rng, sr, n):
    """Knocks on a door: groups of 2–4 low woody impacts."""
    out = np.zeros(n)
    pos = rng.uniform(0, 0.5)
    res = rng.uniform(150, 400)
    while pos < n / sr:
        for k in range(int(rng.integers(2, 5))):
            length = int(0.1 * sr)
            grain = rng.standard_normal(length) * _decay(length, sr, 0.008)
            _add_at(out, int((pos + k * 0.18) * sr), _resonator(grain, sr, res, 5.0))
        pos += rng.uniform(1.5, 3.0)
    return out


INTERFERER_GENERATORS: dict[str, Generator] = {
    "Siren": siren, "Bird": bird, "Engine": engine, "Television": television, "Knocking": knocking,
}


def background_noise(rng: np.random.Generator, sr: int, n: int, colour: float | None = None,
                     hum_hz: float | None = None) -> np.ndarray:
    """Room tone: coloured noise (``colour`` 0 = white … 1 = pink-ish) with a faint mains hum; unit RMS."""
    colour = rng.uniform(0.0, 1.0) if colour is None else colour
    hum_hz = rng.choice([50.0, 60.0]) if hum_hz is None else hum_hz
    white = rng.standard_normal(n)
    x = (1 - colour) * _band(white, sr, 50, 12000) + colour * 3.0 * _band(_pink(rng, n), sr, 30, 4000)
    t = _time(sr, n)
    x = x / (np.std(x) + 1e-12) + 0.1 * np.sin(2 * np.pi * hum_hz * t + rng.uniform(0, 2 * np.pi))
    return _unit_rms(x)


def diffuse_noise(rng: np.random.Generator, sr: int, n: int, channels: int = 4) -> np.ndarray:
    """Diffuse room tone (channels, n): spectrally shaped noise, white to pink (``colour`` drawn),
    band-limited to 30 Hz–12 kHz, independent per channel; channel 0 at unit RMS, the others at
    1/√3 of it (an SN3D first-order diffuse field), plus a faint mains hum on channel 0."""
    colour = float(rng.uniform(0.0, 1.0))
    hum_hz = float(rng.choice([50.0, 60.0]))
    spec = sp_fft.rfft(rng.standard_normal((channels, n)), axis=1, workers=1)
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    f = np.maximum(freqs, 1.0)
    mask = f ** (-0.5 * colour) / np.sqrt(1 + (30.0 / f) ** 4) / np.sqrt(1 + (f / 12000.0) ** 8)
    x = sp_fft.irfft(spec * mask, n, axis=1, workers=1)
    x /= np.sqrt(np.mean(x**2, axis=1, keepdims=True)) + 1e-12
    x[0] += 0.1 * np.sin(2 * np.pi * hum_hz * _time(sr, n) + rng.uniform(0, 2 * np.pi))
    x[0] /= np.sqrt(np.mean(x[0] ** 2))
    x[1:] /= np.sqrt(3.0)
    return x


def render_event(generator: Generator, rng: np.random.Generator, sr: int, n: int) -> np.ndarray:
    """Run a generator for ``n`` samples, fade the edges, and scale to unit RMS over the active part."""
    x = np.asarray(generator(rng, sr, n), dtype=np.float64)[:n]
    if x.size < n:
        x = np.pad(x, (0, n - x.size))
    return _unit_rms(_fade(x, sr, 0.01))
