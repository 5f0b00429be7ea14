"""`--shard K/N`: the K-th of N deterministic, disjoint, contiguous parts of an input.

Shard K of an input of n items (FASTA records, VCF alleles, record pairs, predicted sites, mutagenesis chunks)
holds the items [floor((K-1)·n/N), floor(K·n/N)) counted in the operation's chunks: the runner batches each chunk
on its own, and batch composition changes the last digits of a model's numbers, so a shard boundary inside a
chunk would give other digits than the unsharded run. On the chunk grid every batch of a shard is a batch of the
unsharded run, and the N shard outputs, concatenated in order, are the unsharded output byte for byte
(`dnalens merge` joins them). An input of fewer chunks than shards leaves some shards empty (header only).
Each shard's provenance names it in the parameters line: `"shard": "K/N"` and `"shard_of": n`, which merge
removes again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from .errors import InputError

# The parameters a shard adds to its provenance; a merged output (and an unsharded one) has neither.
SHARD_PARAMETERS = ("shard", "shard_of")
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # K, 1-based
    count: int  # N

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def bounds(self, total: int, chunk: int = 1) -> tuple[int, int]:
        """0-based, half-open item range of this shard in an input of `total` items processed `chunk` at a time."""
        chunks = -(-total // chunk)
        start, stop = ((k - 1) * chunks // self.count * chunk for k in (self.index, self.index + 1))
        return min(start, total), min(stop, total)

    def parameters(self, total: int) -> dict:
        return {"shard": str(self), "shard_of": total}


def parse_shard(text: str) -> Shard:
    match = _SHARD.match(text)
    if not match:
        raise InputError(f"--shard '{text}': expected K/N, e.g. 2/4 (the second of four parts)")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise InputError(f"--shard {text.strip()}: K must be from 1 to N (N at least 1)")
    return Shard(index, count)


def shard_parameters(shard: Shard | None, total: int) -> dict:
    """What a run adds to its provenance parameters: nothing without --shard."""
    return shard.parameters(total) if shard else {}


def shard_total(shard: Shard | None, total: int, chunk: int = 1) -> int:
    """Items the run handles (for its progress bar): the shard's, or all."""
    if shard is None:
        return total
    start, stop = shard.bounds(total, chunk)
    return stop - start


def shard_range(shard: Shard, total: int, warn: Callable[[str], None], unit: str = "records",
                chunk: int = 1) -> tuple[int, int]:
    """The shard's bounds; an empty shard (more shards than chunks) is allowed, with a warning: its output is
    the header alone, and merging it changes nothing."""
    start, stop = shard.bounds(total, chunk)
    if start == stop:
        parts = f"{total} {unit}" + (f" in {-(-total // chunk)} chunk(s) of {chunk}" if chunk > 1 else "")
        warn(f"shard {shard} is empty (the input has {parts}, fewer than {shard.count} shards): the output has "
             "its header only")
    return start, stop


def take_shard(items: Iterable, total: int, shard: Shard | None, warn: Callable[[str], None],
               unit: str = "records", chunk: int = 1) -> Iterator:
    """The shard's items of `items` (all of them without a shard); the items before it are still read, so the
    readers' checks and numbering stay those of the whole input."""
    if shard is None:
        return iter(items)
    start, stop = shard_range(shard, total, warn, unit, chunk)
    return islice(items, start, stop)


def refuse_with_shard(shard: Shard | None, **outputs) -> None:
    """Outputs that need every record (a matrix, a plot) cannot be split: one line naming them."""
    given = [f"--{name.replace('_', '-')}" for name, value in outputs.items() if value]
    if shard is not None and given:
        raise InputError(f"{', '.join(given)}: needs every record, so a shard cannot write it; leave it out with "
                         "--shard, or run without --shard")


def refuse_merged_parts(needs: str, merged_by: str, vcf_out: str | Path | None = None, **whole_outputs) -> None:
    """For a run that merges its shards' parts itself (--resume, torchrun), before any work: outputs that need
    every record at once (needs: why not, and the way out), and a compressed --vcf-out (merge writes plain text,
    which would get a .gz name)."""
    given = [f"--{name.replace('_', '-')}" for name, value in whole_outputs.items() if value]
    if given:
        raise InputError(f"{', '.join(given)}: needs every record {needs}")
    if vcf_out and Path(vcf_out).suffix in (".gz", ".bgz"):
        raise InputError(f"--vcf-out {vcf_out}: {merged_by} merges plain-text VCF; name it .vcf, and compress and "
                         "index it afterwards with bgzip and tabix")
