"""BGZF, the blocked gzip of htslib (SAM/BAM specification, section 4.1), and a tabix index for a VCF.

A BGZF file is a series of gzip members of at most 64 KiB, each saying its own compressed size in a `BC` extra
field, and an empty end-of-file member. Any gzip reader reads it; tabix and bcftools need it (a plain gzip is
rejected), and the blocks give each line a *virtual offset* (block start << 16 | offset in the block), which is
what a tabix index stores.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

# Uncompressed bytes per block: htslib's choice, so that even incompressible data fits in a 64 KiB block.
BLOCK_DATA = 0xFF00
EOF_BLOCK = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_HEADER = struct.Struct("<4BI2BH2BHH")  # ID1 ID2 CM FLG MTIME XFL OS XLEN SI1 SI2 SLEN BSIZE
_MAX_BLOCK = 1 << 16


def compress_block(data: bytes) -> bytes:
    """One BGZF block holding `data` (at most BLOCK_DATA bytes)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw deflate: the gzip framing is written here
    deflated = compressor.compress(data) + compressor.flush()
    if len(deflated) + _HEADER.size + 8 > _MAX_BLOCK:  # incompressible: stored blocks always fit
        compressor = zlib.compressobj(0, zlib.DEFLATED, -15)
        deflated = compressor.compress(data) + compressor.flush()
    size = _HEADER.size + len(deflated) + 8
    header = _HEADER.pack(31, 139, 8, 4, 0, 0, 255, 6, 66, 67, 2, size - 1)
    return header + deflated + struct.pack("<II", zlib.crc32(data), len(data))


class BgzfWriter:
    """Writes bytes into BGZF blocks; `tell()` is the virtual offset of the next byte written."""

    def __init__(self, handle: BinaryIO):
        self._handle = handle
        self._buffer = bytearray()
        self._block_start = 0  # compressed offset of the block being filled

    def tell(self) -> int:
        # After a full block this is the next block's start, never (block << 16 | 65280): the same byte.
        return (self._block_start << 16) | len(self._buffer)

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= BLOCK_DATA:
            self._flush_block(bytes(self._buffer[:BLOCK_DATA]))
            del self._buffer[:BLOCK_DATA]

    def _flush_block(self, data: bytes) -> None:
        block = compress_block(data)
        self._handle.write(block)
        self._block_start += len(block)

    def close(self) -> None:
        """Writes what is buffered and the end-of-file block; the handle itself stays open."""
        if self._buffer:
            self._flush_block(bytes(self._buffer))
            self._buffer.clear()
        self._handle.write(EOF_BLOCK)


# Tabix: UCSC binning with 16 kb leaves and 5 levels (SAM specification, section 5.3) and a linear index.
_LEAF_SHIFT = 14


def region_bin(begin: int, end: int) -> int:
    """The smallest bin holding the 0-based half-open interval [begin, end)."""
    end -= 1
    for level_shift, first in ((14, 4681), (17, 585), (20, 73), (23, 9), (26, 1)):
        if begin >> level_shift == end >> level_shift:
            return first + (begin >> level_shift)
    return 0


@dataclass
class _Sequence:
    bins: dict[int, list[list[int]]] = field(default_factory=dict)  # bin -> chunks [begin, end) of offsets
    linear: list[int] = field(default_factory=list)  # first offset overlapping each 16 kb window
    last_begin: int = -1


class TabixIndexer:
    """Builds a tabix (.tbi) index of a VCF as its records are written, in order.

    Records must come sorted: each chromosome in one run, positions not decreasing. Otherwise `sorted` turns
    False and no index can be written (tabix itself refuses such a file).
    """

    def __init__(self) -> None:
        self._sequences: dict[str, _Sequence] = {}
        self._current: str | None = None
        self.sorted = True
        self.problem = ""

    def add(self, chrom: str, begin: int, end: int, start_offset: int, end_offset: int) -> None:
        """One record: 0-based half-open [begin, end) and the virtual offsets before and after its line."""
        if not self.sorted:
            return
        if chrom != self._current:
            if chrom in self._sequences:
                self._unsorted(f"chromosome {chrom} appears in more than one run of records")
                return
            self._sequences[chrom] = _Sequence()
            self._current = chrom
        sequence = self._sequences[chrom]
        if begin < sequence.last_begin:
            self._unsorted(f"{chrom}:{begin + 1} comes after {chrom}:{sequence.last_begin + 1}")
            return
        sequence.last_begin = begin
        end = max(end, begin + 1)
        chunks = sequence.bins.setdefault(region_bin(begin, end), [])
        if chunks and chunks[-1][1] == start_offset:
            chunks[-1][1] = end_offset
        else:
            chunks.append([start_offset, end_offset])
        last_window = (end - 1) >> _LEAF_SHIFT
        while len(sequence.linear) <= last_window:
            sequence.linear.append(-1)
        for window in range(begin >> _LEAF_SHIFT, last_window + 1):
            if sequence.linear[window] < 0:
                sequence.linear[window] = start_offset

    def _unsorted(self, problem: str) -> None:
        self.sorted = False
        self.problem = problem
        self._sequences.clear()

    def to_bytes(self) -> bytes:
        """The index, uncompressed (a .tbi file is this, BGZF-compressed)."""
        names = b"".join(name.encode() + b"\0" for name in self._sequences)
        # format 2 = VCF; sequence in column 1, begin in column 2, end from REF; '#' starts header lines.
        parts = [b"TBI\1", struct.pack("<8i", len(self._sequences), 2, 1, 2, 0, ord("#"), 0, len(names)), names]
        for sequence in self._sequences.values():
            parts.append(struct.pack("<i", len(sequence.bins)))
            for bin_number, chunks in sorted(sequence.bins.items()):
                parts.append(struct.pack("<Ii", bin_number, len(chunks)))
                parts.extend(struct.pack("<QQ", begin, end) for begin, end in chunks)
            # Empty windows take the offset of the window before (the first record, before any), as htslib's.
            linear, previous = [], next(offset for offset in sequence.linear if offset >= 0)
            for offset in sequence.linear:
                previous = offset if offset >= 0 else previous
                linear.append(previous)
            parts.append(struct.pack(f"<i{len(linear)}Q", len(linear), *linear))
        return b"".join(parts)

    def write(self, handle: BinaryIO) -> None:
        writer = BgzfWriter(handle)
        writer.write(self.to_bytes())
        writer.close()
