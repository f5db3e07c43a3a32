"""Mapped reads (scoring workers only): the same samples as a read, as read-only views of the file."""
from __future__ import annotations

import numpy as np
import pytest

from s5eval.io import audio
from s5eval.io.audio import TruncatedAudioError, map_files_here, maps_files_here, read_audio
from s5fixtures import write_wav


@pytest.fixture
def mapping():
    map_files_here(True)
    try:
        yield maps_files_here()
    finally:
        map_files_here(False)


def _signal(frames: int, channels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(0.3 * rng.standard_normal((frames, channels)), -1, 1).astype(np.float32)


@pytest.mark.parametrize("channels", [1, 4])
@pytest.mark.parametrize("channel", [None, 0, "last"])
def test_mapped_samples_equal_read_samples(tmp_path, mapping, channels, channel):
    if not mapping:
        pytest.skip("this platform cannot map files")
    path = write_wav(tmp_path / "x.wav", _signal(3001, channels))
    pick = channels - 1 if channel == "last" else channel
    mapped, info = read_audio(path, channel=pick, pcm16_as_int16=True)
    map_files_here(False)
    read, read_info = read_audio(path, channel=pick, pcm16_as_int16=True)
    assert info == read_info and mapped.dtype == np.int16
    np.testing.assert_array_equal(mapped, read)
    if pick is None:  # the file's own samples: a view that cannot be written to
        assert not mapped.flags.writeable


def test_float_reads_never_map(tmp_path, mapping):
    path = write_wav(tmp_path / "x.wav", _signal(800, 1))
    samples, _ = read_audio(path)
    assert samples.dtype == np.float32 and samples.flags.writeable


def test_a_file_shorter_than_its_header_is_refused_before_any_mapping(tmp_path, mapping, monkeypatch):
    path = write_wav(tmp_path / "x.wav", _signal(4000, 1))
    with open(path, "r+b") as handle:
        handle.truncate(44 + 2 * 1000)
    mapped: list[int] = []
    monkeypatch.setattr(audio, "_mapped_samples", lambda fd, layout: mapped.append(fd))
    with pytest.raises(TruncatedAudioError):
        read_audio(path, pcm16_as_int16=True)
    assert mapped == []


def test_a_file_that_cannot_be_mapped_is_read(tmp_path, mapping, monkeypatch):
    path = write_wav(tmp_path / "x.wav", _signal(500, 1))

    def refuse(*args, **kwargs):
        raise OSError("no mapping here")

    import mmap

    monkeypatch.setattr(mmap, "mmap", refuse)
    samples, info = read_audio(path, pcm16_as_int16=True)
    assert info.frames == 500 and samples.flags.writeable


def test_the_main_process_reads(tmp_path):
    """Nothing maps files unless a worker asks for it: a SIGBUS would end the run itself."""
    assert not maps_files_here()
    path = write_wav(tmp_path / "x.wav", _signal(500, 1))
    samples, _ = read_audio(path, pcm16_as_int16=True)
    assert samples.flags.writeable


@pytest.mark.parametrize("header", ["plain", "extensible", "fmt with cbSize", "odd LIST chunk first",
                                    "10 kB chunk first", "partial last frame", "LIST chunk after data"])
@pytest.mark.parametrize("channels", [1, 4])
def test_mapped_reads_take_every_header_variant(tmp_path, mapping, header, channels):
    """Chunk order, padding, long headers and odd sizes: the mapped samples are the read ones."""
    from test_audio_io import HEADERS, _riff, _samples

    if not mapping:
        pytest.skip("this platform cannot map files")
    path = tmp_path / "x.wav"
    path.write_bytes(_riff(HEADERS[header](channels, _samples(channels).tobytes())))
    mapped_all, _ = read_audio(path, pcm16_as_int16=True)
    mapped_last, _ = read_audio(path, channel=channels - 1, pcm16_as_int16=True)
    map_files_here(False)
    np.testing.assert_array_equal(mapped_all, read_audio(path, pcm16_as_int16=True)[0])
    np.testing.assert_array_equal(mapped_last, read_audio(path, channel=channels - 1, pcm16_as_int16=True)[0])
