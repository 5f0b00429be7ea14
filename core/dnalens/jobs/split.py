"""split → a folder of N small plan files, part_01_of_N.txt … each holding one shard spec `K/N`.

A workflow engine (Galaxy) maps a model-running tool over these files, one job per part, each job passing its
file's `K/N` to `--shard`; `dnalens merge` joins the N outputs into the unsharded run's output. The work is
split, not the input: every job reads the whole input and runs its part on the chunk grid (shards.py), so
the merged result, the input's checks and its numbering are those of one run.

Given the VCF of a variants run, N is capped at the VCF's chunks (128 ALT alleles each, CASES_PER_CHUNK):
more parts would only add jobs that find nothing to do.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..context import RunContext
from ..errors import InputError
from ..ops import variant_inputs
from ..shards import Shard

MAX_PARTS = 1_000  # one job per part: more would flood a scheduler with jobs of a few chunks each


@dataclass
class SplitResult:
    parts: int
    requested: int
    files: list[Path]


def part_name(shard: Shard) -> str:
    """part_01_of_08: zero-padded, so sorting the names sorts the parts (Galaxy orders a collection so)."""
    width = max(2, len(str(shard.count)))
    return f"part_{shard.index:0{width}d}_of_{shard.count:0{width}d}"


def plan_parts(parts: int, vcf: str | Path | None = None, context: RunContext | None = None) -> list[Shard]:
    """The shards 1/N … N/N, with N = parts, or the VCF's chunks where those are fewer (with a warning)."""
    if not 1 <= parts <= MAX_PARTS:
        raise InputError(f"--parts {parts}: must be from 1 to {MAX_PARTS}")
    count = parts
    if vcf is not None:
        from .variants import variant_chunks

        chunks = max(variant_chunks(vcf=vcf), 1)
        if chunks < parts:
            count = chunks
            if context is not None:
                size = variant_inputs.CASES_PER_CHUNK
                context.warn(f"{Path(vcf).name} has {chunks} chunk(s) of up to {size} ALT alleles, so it is split "
                             f"into {chunks} part(s), not {parts}")
    return [Shard(index, count) for index in range(1, count + 1)]


def write_plan(parts: int, out_dir: str | Path, vcf: str | Path | None = None,
               context: RunContext | None = None) -> SplitResult:
    """One `K/N` file per part in out_dir (new, or empty), all written or none."""
    folder = Path(out_dir)
    if folder.exists() and (not folder.is_dir() or folder.is_symlink() or any(folder.iterdir())):
        raise InputError(f"{folder}: exists and is not an empty folder; split writes its part files into a new "
                         "or empty folder, so that no part of another plan is mixed in")
    parent = folder.parent if str(folder.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{folder}: the folder {parent} it would be created in does not exist")
    shards = plan_parts(parts, vcf, context)
    # Written into a hidden folder beside it, then renamed into place: all parts appear at once or none does.
    # (OutputSet publishes files one by one and checks each against all the others: slow for a thousand parts.)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=parent))
    try:
        for shard in shards:
            (staging / f"{part_name(shard)}.txt").write_text(f"{shard}\n", encoding="utf-8")
        os.chmod(staging, 0o777 & ~_umask())
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return SplitResult(len(shards), parts, [folder / f"{part_name(shard)}.txt" for shard in shards])


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
