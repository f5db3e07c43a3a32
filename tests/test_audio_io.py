"""Audio reading: the PCM16 fast path equals soundfile's decoding, other subtypes go through soundfile."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from s5eval.io.audio import AudioReadError, read_audio


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
