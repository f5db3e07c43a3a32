"""Estimate audio: readable, complete, mono, the right rate and length; finite, not silent, not clipped.

Headers are read without decoding (``audio_info`` plus a walk over the RIFF
chunks to spot truncated files). Samples are read only for the checks that
need them (NaN/Inf, all-zero, clipping), with the reader ``score`` uses
(:func:`~s5eval.io.audio.read_audio`: PCM16 samples straight from the ``data``
chunk, everything else through soundfile), so a file ``validate`` accepts is one
``score`` can read; ``ValidateOptions.decode=False`` skips them.
Files are checked in a thread pool (soundfile and numpy release the GIL).

Reference mixtures are checked too (``--ref``): a truncated, empty or (float)
non-finite mixture is a reference finding (``E_REF_…``, exit 3), and estimates
are then not measured against its wrong length.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from ..findings import Finding, error, warning
from ..io.audio import (AudioInfo, AudioReadError, NotRegularAudioError, TruncatedAudioError, header_facts,
                        may_hold_nonfinite, read_audio)
from ..io.buffers import default_workers
from ..io.refset import ReferenceSet
from ..labels import SILENCE
from .context import Context, EstimateFile

CLIP_FRACTION = 0.001  # share of samples at full scale from which an estimate counts as clipped
_FULL_SCALE_FLOAT = np.float32(32767.0 / 32768.0)
@dataclass
class FileFacts:
    """What was learnt about one estimate: its header (None when unreadable) and its findings."""

    info: AudioInfo | None
    findings: list[Finding]
    size: int | None = None  # bytes, when the header was read from a RIFF file


def _sample_findings(est: EstimateFile, info: AudioInfo) -> list[Finding]:
    """NaN/Inf, all-zero and clipping checks on the samples of a mono file, read as ``score`` reads them."""
    samples = read_audio(est.path_text, channel=0, pcm16_as_int16=True)[0]
    if samples.dtype == np.int16:
        high, low = (int(samples.max()), int(samples.min())) if samples.size else (0, 0)
        nonzero = high != 0 or low != 0
        full_scale = 0
        if high == 32767 or low == -32768:  # only then count the full-scale samples
            full_scale = int(np.count_nonzero((samples == 32767) | (samples == -32768)))
    else:
        data = samples
        if not np.isfinite(data).all():
            return [error("E_NONFINITE", est.shown, "contains NaN or infinite samples")]
        nonzero = bool(data.any())
        full_scale = int(np.count_nonzero(np.abs(data) >= _FULL_SCALE_FLOAT)) if nonzero else 0
    findings = []
    if not nonzero and est.label != SILENCE:
        findings.append(warning("W_SILENT_ESTIMATE", est.shown, "is all zeros (scored as it is)"))
    if info.frames and full_scale >= max(1, CLIP_FRACTION * info.frames):
        findings.append(warning("W_CLIPPING", est.shown,
                                f"{full_scale} samples ({100.0 * full_scale / info.frames:.2f} %) are at full scale: "
                                "the estimate is clipped"))
    return findings


def shape_findings(info: AudioInfo, shown: str, rate: int, frames: int | None, role: str = "estimate",
                   prefix: str = "E_") -> list[Finding]:
    """A source file that is not mono, not at ``rate`` Hz or not ``frames`` samples long (None: not checked).

    One definition for the estimates (``E_CHANNELS``, ``E_SAMPLE_RATE``, ``E_LENGTH``) and, with
    ``prefix="E_REF_"``, the reference targets; scoring runs it again on the header of the file it reads.
    """
    findings = []
    if info.channels != 1:
        article = "an" if role[0] in "aeiou" else "a"
        findings.append(error(prefix + "CHANNELS", shown,
                              f"has {info.channels} channels; {article} {role} must be mono (1 channel)"))
    if info.samplerate != rate:
        findings.append(error(prefix + "SAMPLE_RATE", shown, f"is sampled at {info.samplerate} Hz; expected {rate} Hz"))
    if frames is not None and info.frames != frames:
        findings.append(error(prefix + "LENGTH", shown,
                              f"has {info.frames} samples; its mixture has {frames} ({frames / rate:.3f} s at {rate} Hz)"))
    return findings


def check_file(est: EstimateFile, rate: int, frames: int | None, decode: bool) -> FileFacts:
    """All checks of one estimate against the expected rate (Hz) and length (samples, None: unknown)."""
    try:
        info, layout = header_facts(est.path_text)
    except NotRegularAudioError as exc:
        return FileFacts(None, [error("E_NOT_REGULAR_FILE", est.shown, str(exc))])
    except AudioReadError as exc:
        return FileFacts(None, [error("E_UNREADABLE", est.shown, str(exc).replace(est.path_text, est.filename))])
    findings: list[Finding] = []
    if layout is not None and layout.truncated:
        findings.append(error("E_TRUNCATED", est.shown,
                              f"the header announces {layout.data_size} bytes of samples but the file holds only "
                              f"{max(0, layout.file_size - layout.data_offset)}"))
    if info.frames == 0:
        findings.append(error("E_EMPTY_AUDIO", est.shown, "holds no samples"))
    findings += shape_findings(info, est.shown, rate, frames)
    if decode and not findings:
        try:
            findings.extend(_sample_findings(est, info))
        except TruncatedAudioError as exc:
            findings.append(error("E_TRUNCATED", est.shown, str(exc).replace(est.path_text, est.filename)))
        except Exception as exc:  # a file that passes the header but fails to decode
            text = str(exc).replace(est.path_text, est.filename)
            findings.append(error("E_UNREADABLE", est.shown,
                                  f"cannot decode the samples: {text.splitlines()[0] if text else type(exc).__name__}"))
    return FileFacts(info, findings, layout.file_size if layout is not None else None)


def _mixture_facts(ctx: Context, reference: ReferenceSet) -> tuple[dict[str, tuple[int, int]], list[Finding]]:
    """(rate in Hz, length in samples) of the reference mixtures that estimates refer to; reference findings for
    broken ones.

    A mixture that is truncated, empty or (with ``decode``, in channel 0, the
    one scored) not finite is the reference set's fault: it gets an ``E_REF_``
    finding and no entry, so its estimates are not blamed for its length.
    Mixtures in ``ctx.mixture_shapes`` (known from ``score``'s reference cache,
    which keeps only mixtures that passed) are not read.
    """
    out: dict[str, tuple[int, int]] = {}
    findings: list[Finding] = []
    wanted = sorted({name.soundscape for _, name in ctx.estimate_names})
    for name in wanted:
        mix = reference.mixtures.get(name)
        if mix is None:
            continue
        if name in ctx.mixture_shapes:
            out[name] = ctx.mixture_shapes[name]
            continue
        problem = mixture_problem(mix.path_text, ctx.options.decode)
        if isinstance(problem, Finding):
            findings.append(problem)
        else:
            out[name] = (problem.samplerate, problem.frames)
    return out, findings


def mixture_problem(path: str, decode: bool) -> AudioInfo | Finding:
    """A reference mixture's header, or the reference finding that says what is wrong with it."""
    try:
        info, layout = header_facts(path)
    except NotRegularAudioError as exc:
        return error("E_REF_NOT_REGULAR_FILE", path, str(exc))
    except AudioReadError as exc:
        return error("E_REF_UNREADABLE", path, str(exc))
    if layout is not None and layout.truncated:
        return error("E_REF_TRUNCATED", path,
                     f"the mixture is truncated: its header announces {layout.data_size} bytes of samples but only "
                     f"{max(0, layout.file_size - layout.data_offset)} are present")
    if info.frames <= 0:
        return error("E_REF_EMPTY_AUDIO", path, "the mixture holds no samples")
    if decode and may_hold_nonfinite(info):
        try:
            channel0 = read_audio(path, channel=0)[0]
        except TruncatedAudioError as exc:
            return error("E_REF_TRUNCATED", path, str(exc))
        except AudioReadError as exc:
            return error("E_REF_UNREADABLE", path, str(exc))
        if not np.isfinite(channel0).all():
            return error("E_REF_NONFINITE", path, "the mixture contains NaN or infinite samples (channel 0)")
    return info


def check_audio(ctx: Context) -> list[Finding]:
    """Check every estimate WAV; with a reference set against its mixture, else against ``options.rate``."""
    opts = ctx.options
    findings: list[Finding] = []
    mixtures: dict[str, tuple[int, int]] = {}
    if ctx.reference is not None:
        mixtures, findings = _mixture_facts(ctx, ctx.reference)

    def expected(est: EstimateFile) -> tuple[int, int | None]:
        shape = mixtures.get(est.soundscape) if est.soundscape else None
        return shape if shape else (opts.rate, None)

    def run(est: EstimateFile) -> FileFacts:
        rate, frames = expected(est)
        return check_file(est, rate, frames, opts.decode)

    workers = opts.workers or default_workers()
    if workers > 1 and len(ctx.estimates) > 8:
        from concurrent.futures import ThreadPoolExecutor  # several workers only: not at a run's start-up

        with ThreadPoolExecutor(max_workers=workers) as pool:
            facts = list(pool.map(run, ctx.estimates, chunksize=16))
    else:
        facts = [run(est) for est in ctx.estimates]
    for est, fact in zip(ctx.estimates, facts):
        est.info, est.size = fact.info, fact.size  # the header facts live in the submission model
        findings.extend(fact.findings)
    if ctx.reference is None:
        findings.extend(_length_consistency(ctx, facts))
    return findings


def _length_consistency(ctx: Context, facts: list[FileFacts]) -> list[Finding]:
    """Without a reference: one length per soundscape, and flag lengths unlike the package's usual one."""
    findings: list[Finding] = []
    lengths = [(est, f.info.frames) for est, f in zip(ctx.estimates, facts) if f.info and f.info.frames > 0]
    per_mix: dict[str, list[tuple[EstimateFile, int]]] = defaultdict(list)
    for est, frames in lengths:
        if est.soundscape:
            per_mix[est.soundscape].append((est, frames))
    flagged: set[str] = set()
    for mix, items in sorted(per_mix.items()):
        distinct = Counter(n for _, n in items)
        if len(distinct) > 1:
            usual = distinct.most_common(1)[0][0]
            for est, n in items:
                if n != usual:
                    flagged.add(est.shown)
                    findings.append(error("E_LENGTH_MISMATCH", est.shown,
                                          f"has {n} samples while the other estimates of '{mix}' have {usual}"))
    if lengths:
        usual, count = Counter(n for _, n in lengths).most_common(1)[0]
        if count > len(lengths) // 2:
            for est, n in lengths:
                if n != usual and est.shown not in flagged:
                    findings.append(warning("W_LENGTH_UNCOMMON", est.shown,
                                            f"has {n} samples; most estimates have {usual} (check with --ref)"))
    return findings
