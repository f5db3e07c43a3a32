"""The layout of a RIFF/WAVE file, read without decoding: where its samples are.

Used to spot truncated files without decoding them, and to read PCM16
samples straight from the ``data`` chunk.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_WAVE_FORMAT_PCM = 0x0001
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_MAX_CHUNKS = 1000


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

    @property
    def truncated(self) -> bool:
        return self.data_offset + self.data_size > self.file_size

    @property
    def is_pcm16(self) -> bool:
        return self.format_tag in (_WAVE_FORMAT_PCM, _WAVE_FORMAT_EXTENSIBLE) and self.bits_per_sample == 16

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
    """Walk the RIFF chunks up to ``data``; None when the file is not a plain RIFF/WAVE file."""
    try:
        with open(path, "rb", buffering=0) as handle:  # unbuffered: one system call per read
            return read_layout(handle)
    except OSError:
        return None


_HEAD_BYTES = 4096  # one read covers the header of nearly every WAV; longer ones are walked chunk by chunk


def read_layout(handle: BinaryIO) -> WavLayout | None:
    """:func:`wav_layout` of an open binary file; leaves it positioned at the first sample."""
    try:
        file_size = os.fstat(handle.fileno()).st_size
        handle.seek(0)
        head = handle.read(_HEAD_BYTES)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        fmt: tuple[int, int, int, int, int] | None = None
        position = 12
        for _ in range(_MAX_CHUNKS):
            if position + 8 <= len(head):
                chunk = head[position:position + 8]
            else:
                handle.seek(position)
                chunk = handle.read(8)
                if len(chunk) < 8:
                    return None
            chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            body_start = position + 8
            if chunk_id == b"fmt ":
                if body_start + 16 <= len(head):
                    body = head[body_start:body_start + 16]
                else:
                    handle.seek(body_start)
                    body = handle.read(16)
                if len(body) < 16 or size < 16:
                    return None
                tag, channels, samplerate, _, block_align, bits = struct.unpack("<HHIIHH", body)
                fmt = (tag, channels, samplerate, block_align, bits)
            elif chunk_id == b"data":
                if fmt is None:
                    return None
                handle.seek(body_start)
                return WavLayout(*fmt, body_start, size, file_size)
            position = body_start + size + (size & 1)
    except (OSError, struct.error, ValueError):
        return None
    return None
