"""A run spread over torchrun's ranks: rank R runs shard R+1/N into a part, rank 0 merges the parts.

Built on the same pieces as `--resume` (jobs/resume.py): the shard job of the operation writes its part
(`part-0002-of-0004.tsv`, and `.vcf` / `.bedgraph` parts) into a work folder beside the output,
`.OUT.dnalens-torchrun/`, published by the shard job's own OutputSet; when every rank has finished, rank 0 joins
the parts with merge's join into the final outputs, all in one OutputSet, and removes the folder. The merged
output is the one-process run's bytes (shards are cut on the chunk grid, and merge drops the shard from the
provenance). Other ranks write nothing final.

Every rank reports after its shard and after the merge (Session.step): if any rank failed, every rank raises
the first failure's line, the work folder is removed and no output is published.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..distributed import RanksFailed, Session
from ..io.outputs import check_output_target
from ..shards import Shard
from .resume import part_paths, publish_merged


@dataclass
class DistributedResult:
    ranks: int
    lines: int  # data lines of the main output
    outputs: list[Path]


def work_folder(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(f".{output.name}.dnalens-torchrun")


def run_distributed(session: Session, outputs: dict[str, str | Path], inputs: dict[str, str | Path],
                    run_shard: Callable[[Shard, dict[str, Path]], object]) -> DistributedResult:
    """outputs: output option → final path ("output" first, the main one); inputs: input option → file (the
    outputs may not replace them); run_shard(shard, part paths) runs one shard job."""
    world = session.world
    work = work_folder(outputs["output"])
    parts = part_paths(work, world.size, outputs)

    def run_part() -> None:
        for final in outputs.values():  # refused before the work, not at the merge
            check_output_target(final)
        work.mkdir(exist_ok=True)  # every rank: whichever comes first makes it
        run_shard(Shard(world.rank + 1, world.size), parts[world.rank + 1])

    published: list[int] = []  # rank 0: the merged outputs' data lines, once they are in place

    def merge() -> int:
        if world.is_root:
            published.append(publish_merged(parts, outputs, inputs))
        return published[0] if published else 0

    try:
        session.step(run_part)
        lines = session.step(merge)
    except RanksFailed as failure:
        shutil.rmtree(work, ignore_errors=True)
        # Another rank died after its part was merged (the last step's contact lost): rank 0's outputs are
        # complete and published, so the run succeeded and saying "no output was written" would be untrue.
        if not (published and failure.rank < 0):
            raise
        lines = published[0]
    except BaseException:
        # Every rank has reported (or is being stopped): no part is being written, and no part may stay.
        shutil.rmtree(work, ignore_errors=True)
        raise
    if world.is_root:
        shutil.rmtree(work, ignore_errors=True)
    return DistributedResult(world.size, lines, [Path(p) for p in outputs.values()])
