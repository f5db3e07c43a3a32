"""The layout of a RIFF/WAVE file, read without decoding: where its samples are.

Used to spot truncated files without decoding them, and to read PCM16
samples straight from the ``data`` chunk.

Every audio file is opened with :func:`open_regular_fd`: only a regular file is
ever read, so a FIFO, socket or device named like a WAV is refused at once
instead of blocking the reader forever.
"""
from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PCM16_SCALE = np.float32(2.0 ** -15)
"""What one step of a PCM16 sample stands for: a sample n is the float n · 2⁻¹⁵ (as libsndfile reads it).

The one definition: the reader (:mod:`.audio`) and the metrics (:mod:`s5eval.metrics.sdr`,
:mod:`~s5eval.metrics.official_f32`, :mod:`~s5eval.metrics.torch_backend`) all scale by it.
"""

_WAVE_FORMAT_PCM = 0x0001
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_MAX_CHUNKS = 1000
# the SubFormat GUID of a WAVE_FORMAT_EXTENSIBLE file holding integer PCM (KSDATAFORMAT_SUBTYPE_PCM)
KSDATAFORMAT_SUBTYPE_PCM = bytes.fromhex("0100000000001000800000aa00389b71")
_EXTENSIBLE_FMT_BYTES = 40  # the fmt body up to and including the SubFormat GUID
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO does not wait for a writer; no effect on regular files


class NotRegularFileError(OSError):
    """A path that is not a regular file (FIFO, socket, device, folder): it is never read."""


def file_type(mode: int) -> str:
    """What a ``st_mode`` is, in words (for messages)."""
    for test, words in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                        (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return words
    return "not a regular file"


def open_regular_fd(path: str | os.PathLike) -> tuple[int, int]:
    """Open a regular file for reading: ``(file descriptor, size in bytes)``; the caller closes the descriptor.

    Raises :class:`NotRegularFileError` for anything else (without blocking on a
    FIFO), ``OSError`` when it cannot be opened and ``ValueError`` for a path
    the operating system cannot take (NUL, unencodable characters).
    """
    fd = os.open(path, _OPEN_FLAGS | _NONBLOCK)
    try:
        info = os.fstat(fd)  # the one fstat also gives the size the layout needs
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFileError(f"is {file_type(info.st_mode)}, not a regular file; it is not read")
        return fd, info.st_size
    except BaseException:
        os.close(fd)
        raise


if hasattr(os, "pread") and hasattr(os, "preadv"):
    def pread(fd: int, n_bytes: int, offset: int) -> bytes:
        """Up to ``n_bytes`` bytes of ``fd`` from byte ``offset`` (fewer at the end of the file)."""
        return os.pread(fd, n_bytes, offset)

    def pread_into(fd: int, view: memoryview, offset: int) -> int:
        """Read into ``view`` from byte ``offset`` of ``fd``; the number of bytes read (0 at the end of the file)."""
        return os.preadv(fd, [view], offset)
else:  # pragma: no cover - platforms without pread (Windows)
    def pread(fd: int, n_bytes: int, offset: int) -> bytes:
        """Up to ``n_bytes`` bytes of ``fd`` from byte ``offset`` (fewer at the end of the file)."""
        os.lseek(fd, offset, os.SEEK_SET)
        return os.read(fd, n_bytes)

    def pread_into(fd: int, view: memoryview, offset: int) -> int:
        """Read into ``view`` from byte ``offset`` of ``fd``; the number of bytes read (0 at the end of the file)."""
        os.lseek(fd, offset, os.SEEK_SET)
        with open(fd, "rb", buffering=0, closefd=False) as handle:
            return handle.readinto(view) or 0


@dataclass(frozen=True)
class WavLayout:
    """Where a RIFF/WAVE file keeps its samples: offsets and sizes in bytes."""

    format_tag: int
    channels: int
    samplerate: int
    block_align: int
    bits_per_sample: int
    data_offset: int
    data_size: int
    file_size: int
    subformat: bytes | None = None  # the SubFormat GUID of a WAVE_FORMAT_EXTENSIBLE header (None: absent)

    @property
    def truncated(self) -> bool:
        return self.data_offset + self.data_size > self.file_size

    @property
    def is_pcm16(self) -> bool:
        """16-bit integer PCM: format tag 1, or WAVE_FORMAT_EXTENSIBLE whose SubFormat GUID is PCM.

        An extensible header with another SubFormat (float, a codec, garbage) is
        not PCM, whatever its bit depth: such files go through libsndfile,
        which decodes or refuses them.
        """
        if self.bits_per_sample != 16:
            return False
        return self.format_tag == _WAVE_FORMAT_PCM or (
            self.format_tag == _WAVE_FORMAT_EXTENSIBLE and self.subformat == KSDATAFORMAT_SUBTYPE_PCM)

    @property
    def plain_pcm16(self) -> bool:
        """Interleaved 16-bit samples, a consistent header and a complete ``data`` chunk of whole frames."""
        return (self.is_pcm16 and self.channels >= 1 and self.samplerate > 0
                and self.block_align == 2 * self.channels and not self.truncated
                and self.data_size % self.block_align == 0)

    @property
    def frames(self) -> int:
        """Samples per channel in the ``data`` chunk."""
        return self.data_size // self.block_align if self.block_align else 0


def wav_layout(path: str | Path) -> WavLayout | None:
    """Walk the RIFF chunks up to ``data``; None when the file is not a plain RIFF/WAVE file or cannot be opened.

    Raises :class:`NotRegularFileError` for a FIFO, socket, device or folder.
    """
    try:
        fd, size = open_regular_fd(path)
    except NotRegularFileError:
        raise
    except (OSError, ValueError):
        return None
    try:
        return layout_of_fd(fd, size)
    finally:
        os.close(fd)


_HEAD_BYTES = 4096  # one read covers the header of nearly every WAV; longer ones are walked chunk by chunk


def layout_of_fd(fd: int, file_size: int | None = None) -> WavLayout | None:
    """:func:`wav_layout` of an open file descriptor (of ``file_size`` bytes, None: ask), read with ``pread``."""
    try:
        if file_size is None:
            file_size = os.fstat(fd).st_size
        head = pread(fd, _HEAD_BYTES, 0)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        fmt: tuple[int, int, int, int, int] | None = None
        subformat: bytes | None = None
        position = 12
        for _ in range(_MAX_CHUNKS):
            if position + 8 <= len(head):
                chunk = head[position:position + 8]
            else:
                chunk = pread(fd, 8, position)
                if len(chunk) < 8:
                    return None
            chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            body_start = position + 8
            if chunk_id == b"fmt ":
                wanted = min(size, _EXTENSIBLE_FMT_BYTES)
                if body_start + wanted <= len(head):
                    body = head[body_start:body_start + wanted]
                else:
                    body = pread(fd, wanted, body_start)
                if len(body) < 16 or size < 16:
                    return None
                tag, channels, samplerate, _, block_align, bits = struct.unpack("<HHIIHH", body[:16])
                fmt = (tag, channels, samplerate, block_align, bits)
                subformat = bytes(body[24:40]) if len(body) >= _EXTENSIBLE_FMT_BYTES else None
            elif chunk_id == b"data":
                if fmt is None:
                    return None
                return WavLayout(*fmt, body_start, size, file_size, subformat)
            position = body_start + size + (size & 1)
    except (OSError, struct.error, ValueError, OverflowError):
        return None
    return None
