"""Audio reading: the PCM16 fast path equals soundfile's decoding, other subtypes go through soundfile."""
from __future__ import annotations

import struct
import threading

import numpy as np
import pytest
import soundfile as sf

from s5eval.io.audio import AudioReadError, audio_info, read_audio
from s5eval.io.buffers import SampleBuffers, thread_buffers


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
@pytest.mark.parametrize("channels", [1, 4])
def test_read_audio_equals_soundfile(tmp_path, subtype, channels):
    rng = np.random.default_rng(channels)
    samples = np.clip(0.3 * rng.standard_normal((1001, channels)), -1, 1)
    path = tmp_path / "x.wav"
    sf.write(path, samples, 32000, subtype=subtype)
    expected = sf.read(path, dtype="float32", always_2d=True)[0]
    got, info = read_audio(path)
    assert got.dtype == np.float32 and np.array_equal(got, expected)
    assert (info.samplerate, info.frames, info.channels, info.subtype) == (32000, 1001, channels, subtype)
    first, _ = read_audio(path, channel=0)
    assert np.array_equal(first, expected[:, 0])


def test_truncated_pcm16_file_is_an_error(tmp_path):
    path = tmp_path / "cut.wav"
    sf.write(path, np.zeros(4000), 32000, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 1000])
    with pytest.raises(AudioReadError, match="truncated"):
        read_audio(path)


def test_not_a_wav_is_an_error(tmp_path):
    path = tmp_path / "bad.wav"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(AudioReadError):
        read_audio(path)


def _riff(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """A RIFF/WAVE file from (id, body) chunks, each padded to an even size as RIFF requires."""
    body = b"WAVE"
    for chunk_id, data in chunks:
        body += chunk_id + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _fmt(channels: int, rate: int = 32000, extensible: bool = False, extra: bytes = b"") -> bytes:
    tag = 0xFFFE if extensible else 1
    body = struct.pack("<HHIIHH", tag, channels, rate, rate * 2 * channels, 2 * channels, 16)
    if extensible:  # cbSize, valid bits, channel mask, KSDATAFORMAT_SUBTYPE_PCM
        body += struct.pack("<HHI", 22, 16, 0) + bytes.fromhex("0100000000001000800000aa00389b71")
    return body + extra


def _samples(channels: int, frames: int = 777) -> np.ndarray:
    rng = np.random.default_rng(frames + channels)
    return rng.integers(-32768, 32768, size=(frames, channels)).astype("<i2")


HEADERS = {
    "plain": lambda ch, data: [(b"fmt ", _fmt(ch)), (b"data", data)],
    "extensible": lambda ch, data: [(b"fmt ", _fmt(ch, extensible=True)), (b"data", data)],
    "fmt with cbSize": lambda ch, data: [(b"fmt ", _fmt(ch, extra=b"\0\0")), (b"data", data)],
    "odd LIST chunk first": lambda ch, data: [(b"fmt ", _fmt(ch)), (b"LIST", b"INFOabc"), (b"data", data)],
    "10 kB chunk first": lambda ch, data: [(b"fmt ", _fmt(ch)), (b"junk", bytes(10_001)), (b"data", data)],
    "partial last frame": lambda ch, data: [(b"fmt ", _fmt(ch)), (b"data", data + b"\1")],
    "LIST chunk after data": lambda ch, data: [(b"fmt ", _fmt(ch)), (b"data", data), (b"LIST", b"INFOtail")],
}


@pytest.mark.parametrize("header", sorted(HEADERS))
@pytest.mark.parametrize("channels", [1, 4])
def test_pcm16_fast_path_equals_soundfile_on_header_variants(tmp_path, header, channels):
    """Every way the RIFF walk can go (chunk order, padding, long headers, odd sizes) reads like libsndfile."""
    path = tmp_path / "x.wav"
    path.write_bytes(_riff(HEADERS[header](channels, _samples(channels).tobytes())))
    expected = sf.read(path, dtype="float32", always_2d=True)[0]
    expected_int = sf.read(path, dtype="int16", always_2d=True)[0]
    info = sf.info(str(path))
    buffers = SampleBuffers()
    for kwargs in ({}, {"buffers": buffers}):
        got, got_info = read_audio(path, **kwargs)
        assert np.array_equal(got, expected) and got.dtype == np.float32
        assert (got_info.frames, got_info.channels, got_info.samplerate) == (info.frames, info.channels, 32000)
        first, _ = read_audio(path, channel=0, **kwargs)
        assert np.array_equal(first, expected[:, 0])
        as_int, _ = read_audio(path, channel=channels - 1, pcm16_as_int16=True, **kwargs)
        assert as_int.dtype == np.int16 and np.array_equal(as_int, expected_int[:, channels - 1])
    header_only = audio_info(path)
    assert (header_only.frames, header_only.channels, header_only.samplerate) == (info.frames, info.channels, 32000)


def test_reused_buffers_hold_each_signal_until_reset():
    buffers = SampleBuffers()
    first = buffers.take(100)
    second = buffers.take(100)
    first[:] = 1.0
    second[:] = 2.0
    assert (first == 1.0).all() and not np.shares_memory(first, second)
    ints = buffers.take(50, np.int16)
    assert ints.dtype == np.int16 and not np.shares_memory(ints, first)
    buffers.reset()
    again = buffers.take(80)
    assert np.shares_memory(again, first)  # the same memory is handed out again after a reset
    larger = buffers.take(1000)
    assert larger.size == 1000 and not np.shares_memory(larger, again)


def test_each_thread_has_its_own_buffers():
    seen = []
    worker = threading.Thread(target=lambda: seen.append(thread_buffers()))
    worker.start()
    worker.join()
    assert seen[0] is not thread_buffers() and thread_buffers() is thread_buffers()
