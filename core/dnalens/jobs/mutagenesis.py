"""mutagenesis → files: every substitution's llr (TSV), a heatmap, and a bedGraph track of log P(reference base)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..context import RunContext
from ..errors import InputError
from ..io.bedgraph import BedGraphWriter
from ..io.counting import fasta_lengths
from ..io.fasta import read_fasta
from ..io.outputs import OutputSet
from ..io.reference import Reference, reference_files
from ..io.tsv import TsvWriter
from ..ops.mutagenesis import (
    COLUMNS,
    POSITIONS_PER_CHUNK,
    Mutagenesis,
    Target,
    parse_region,
    parse_span,
    region_target,
    sequence_target,
)
from ..provenance import provenance, provenance_lines
from ..remote.mutagenesis import RemoteMutagenesis
from ..runner import Runner
from ..shards import Shard, refuse_with_shard, shard_parameters, shard_range
from .operations import Model, mutagenesis_operation

# The heatmap stays readable up to this many positions (10 wrapped rows of 100); the table has them all.
MAX_HEATMAP_POSITIONS = 1000


@dataclass
class MutagenesisResult:
    positions: int  # scored: an N has no substitutions
    substitutions: int
    method: str
    outputs: list[Path]
    figures: dict = field(default_factory=dict)


def mutagenesis(model: Model, out_tsv: str | Path, *, reference: str | Path | None = None,
                region: str | None = None, fasta: str | Path | None = None, span: str | None = None,
                window: int | None = None, heatmap: str | Path | None = None, bedgraph: str | Path | None = None,
                context: RunContext | None = None, runner: Runner | None = None,
                shard: Shard | None = None) -> MutagenesisResult:
    """A region of a reference genome (`reference` + `region`), or each record of `fasta` (whole or `span`).
    model: loaded, or a server (--endpoint): the windows are placed here, the server scores them.
    shard: only that part of the chunks of POSITIONS_PER_CHUNK positions of the targets in order (shards.py)."""
    context = context or RunContext()
    refuse_with_shard(shard, heatmap=heatmap)
    _check_options(reference, region, fasta, span, bedgraph)
    operation = mutagenesis_operation(model, window, runner, context)
    parameters = {"window": operation.window, "region": region, "range": span,
                  "input": Path(fasta or reference).name}
    genome = Reference(reference) if reference else None
    try:
        targets, sizes = _targets(genome, region, fasta, span)
        chunks = sum(-(-size // POSITIONS_PER_CHUNK) for size in sizes)
        record = provenance(model.describe(), "mutagenesis", {**parameters, **shard_parameters(shard, chunks)})
        header = provenance_lines(record) + [f"method: {operation.describe()}"]
        total = sum(sizes)
        if shard:
            start, stop = shard_range(shard, chunks, context.warn, f"chunks of {POSITIONS_PER_CHUNK} positions")
            targets, total = _chunks(targets, sizes, start, stop)
        return _write(operation, targets, total, out_tsv, heatmap, bedgraph, record, header,
                      [fasta, *reference_files(reference)], context)
    finally:
        if genome is not None:
            genome.close()


def _check_options(reference, region: str | None, fasta, span: str | None, bedgraph) -> None:
    if (reference is None) != (region is None) or (fasta is None) == (region is None):
        raise InputError("give either --reference and --region, or a FASTA file (optionally with --range)")
    if span is not None and fasta is None:
        raise InputError("--range applies to FASTA input; give the region itself with --region")
    if bedgraph and Path(bedgraph).suffix in (".gz", ".bgz"):
        raise InputError(f"--bedgraph {bedgraph}: DNALens writes plain-text bedGraph; give a name without .gz "
                         "(and compress it afterwards with bgzip if a browser needs it)")


def mutagenesis_chunks(reference: str | Path | None = None, region: str | None = None,
                       fasta: str | Path | None = None, span: str | None = None,
                       bedgraph: str | Path | None = None) -> int:
    """Chunks of POSITIONS_PER_CHUNK positions of the targets, the grid shards are cut on (a resumable run's
    number of parts); the options are checked first, as the job checks them."""
    _check_options(reference, region, fasta, span, bedgraph)
    genome = Reference(reference) if reference else None
    try:
        _, sizes = _targets(genome, region, fasta, span)
        return sum(-(-size // POSITIONS_PER_CHUNK) for size in sizes)
    finally:
        if genome is not None:
            genome.close()


def _targets(genome: Reference | None, region: str | None, fasta,
             span: str | None) -> tuple[Iterator[Target], list[int]]:
    """The targets and their sizes in positions."""
    if genome is not None:
        target = region_target(genome, parse_region(region))
        return iter([target]), [len(target)]
    chosen = parse_span(span) if span else None
    lengths = fasta_lengths(fasta)
    if chosen and min(lengths) < chosen[1]:  # refused before any work, not after the records before it
        short = lengths.index(min(lengths))
        record = next(rec for number, rec in enumerate(read_fasta(fasta)) if number == short)
        sequence_target(record.id, record.sequence, chosen)  # raises, naming the record
    sizes = [chosen[1] - chosen[0] + 1] * len(lengths) if chosen else lengths
    return (sequence_target(rec.id, rec.sequence, chosen) for rec in read_fasta(fasta)), sizes


def _chunks(targets: Iterator[Target], sizes: list[int], start: int, stop: int) -> tuple[Iterator[Target], int]:
    """The targets cut to the chunks [start, stop) of all of theirs in order (0-based, half-open), on the grid
    the operation chunks each target by, and the positions they hold."""
    cuts: list[tuple[int, int]] = []  # per target: its first and last chunk kept (empty when first > last)
    offset = 0
    for size in sizes:
        count = -(-size // POSITIONS_PER_CHUNK)
        cuts.append((max(start, offset) - offset, min(stop, offset + count) - offset - 1))
        offset += count
    total = sum(max(0, min(size, (last + 1) * POSITIONS_PER_CHUNK) - first * POSITIONS_PER_CHUNK)
                for size, (first, last) in zip(sizes, cuts) if first <= last)
    kept = [i for i, (first, last) in enumerate(cuts) if first <= last]
    cuts = cuts[: kept[-1] + 1] if kept else []  # the records after the shard are not read

    def cut() -> Iterator[Target]:
        for (first, last), target in zip(cuts, targets):
            if first <= last:
                yield replace(target, first=target.first + first * POSITIONS_PER_CHUNK,
                              last=min(target.last, target.first + (last + 1) * POSITIONS_PER_CHUNK - 1))

    return cut(), total


def _write(operation: Mutagenesis | RemoteMutagenesis, targets: Iterator[Target], total: int, out_tsv, heatmap,
           bedgraph, record: dict, header: list[str], inputs: list, context: RunContext) -> MutagenesisResult:
    if heatmap:
        from ..plots import MutagenesisMap

        drawn = MutagenesisMap(MAX_HEATMAP_POSITIONS)
    positions = substitutions = 0
    with context.progress(total, "mutagenesis positions") as progress, OutputSet(inputs=inputs) as outputs:
        table = TsvWriter.open(outputs, out_tsv, header, COLUMNS)
        track = BedGraphWriter(outputs.open_text(bedgraph), "DNALens log P(ref)",
                               "natural log of the model's probability of the reference base", header) \
            if bedgraph else None
        for target in targets:
            for mutated in operation.records(target, progress):
                if mutated.scored:
                    table.write_all(mutated.rows())
                    positions += 1
                    substitutions += 3
                    if track:
                        track.write(mutated.id, mutated.position, mutated.ref_log_prob)
                if heatmap:
                    drawn.add(mutated.id, mutated.position, mutated.ref, mutated.llr_row())
        for message in operation.warnings():
            context.warn(message)
        if heatmap and drawn.left_out:
            context.warn(f"the heatmap draws {len(drawn.positions)} positions of {drawn.id}; the table has "
                         f"all {len(drawn.positions) + drawn.left_out}")
        figures = {}
        if heatmap:
            from ..plots import save_figure

            figures["mutagenesis"] = drawn.figure()
            save_figure(figures["mutagenesis"], outputs.path(heatmap), record)
    written = [Path(p) for p in (out_tsv, heatmap, bedgraph) if p]
    return MutagenesisResult(positions, substitutions, operation.method, written, figures)
