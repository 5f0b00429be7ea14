"""variants → files: the scores table and, for VCF input, the input's records annotated with DNALENS_* fields."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..compute.embedder import EmbeddingOptions
from ..context import RunContext
from ..io.counting import count_fasta_records, count_vcf_alleles
from ..io.outputs import OutputSet
from ..io.reference import reference_files
from ..io.tsv import TsvWriter
from ..io.vcf import AnnotatedVcfWriter
from ..ops import variant_inputs
from ..ops.variant_inputs import open_variant_input
from ..provenance import provenance, provenance_lines
from ..runner import Runner
from ..shards import Shard
from .operations import Model, variants_operation

INFO_FIELDS = {
    "l2": ("DNALENS_L2", "L2 distance between pooled WT and mutant embeddings"),
    "cosine": ("DNALENS_COS", "Cosine distance (1 - cosine similarity) between pooled WT and mutant embeddings"),
    "llr": ("DNALENS_LLR", "Log-likelihood ratio log P(alt) - log P(ref) (natural log)"),
}


@dataclass
class VariantResult:
    cases: int
    scored: int
    skipped: dict[str, int]
    scores: list[str]
    llr_method: str | None
    outputs: list[Path]


def score_variants(model: Model, out_tsv: str | Path, *, ref_fasta: str | Path | None = None,
                   alt_fasta: str | Path | None = None, pair_by: str = "order", vcf: str | Path | None = None,
                   reference: str | Path | None = None, window: int | None = None, vcf_out: str | Path | None = None,
                   scores: str | None = None, embedding: EmbeddingOptions | None = None, rc_average: bool = False,
                   max_differences: int | None = None, context: RunContext | None = None,
                   runner: Runner | None = None, shard: Shard | None = None) -> VariantResult:
    """model: a loaded model or a DNALens server (remote.connect). rc_average: every score from both strands.
    max_differences: paired mode only (default 10); a pair differing in more places is not scored. shard: only
    that part of the pairs or VCF ALT alleles."""
    context = context or RunContext()
    operation = variants_operation(model, runner, context, scores=scores, embedding=embedding,
                                   rc_average=rc_average)
    source = open_variant_input(model.max_bp, context.warn, ref_fasta=ref_fasta, alt_fasta=alt_fasta, pair_by=pair_by,
                                vcf=vcf, reference=reference, window=window, vcf_out=vcf_out,
                                max_differences=max_differences, shard=shard)
    header = (provenance_lines(provenance(model.describe(), "variants", operation.parameters(source)))
              + operation.method_lines())
    chosen = operation.scores
    with (
        context.progress(source.total, "variants") as progress,
        source,
        OutputSet(inputs=[ref_fasta, alt_fasta, vcf, *reference_files(reference)]) as outputs,
    ):
        table = TsvWriter.open(outputs, out_tsv, header, source.columns + chosen + ["status"])
        annotated = _vcf_writer(outputs, vcf_out, source.vcf_file.header, chosen, header, context) \
            if vcf_out else None
        for scored in operation.records(source, progress):
            table.write([scored.case.identity[c] for c in source.columns]
                        + [scored.scores[s] for s in chosen] + [str(scored.status)])
            if annotated:
                annotated.write(scored.case.variant, {**{INFO_FIELDS[s][0]: scored.scores.get(s) for s in chosen},
                                                      "DNALENS_STATUS": str(scored.status)})
        warnings = operation.finish(source)
        written = [Path(out_tsv)] + (annotated.finish() if annotated else [])
    for message in warnings:
        context.warn(message)
    counted, scored_count, skipped = operation.counts
    return VariantResult(counted, scored_count, skipped, chosen, operation.llr_method, written)


def variant_chunks(ref_fasta: str | Path | None = None, vcf: str | Path | None = None) -> int:
    """Chunks of the pairs or VCF ALT alleles, the grid shards are cut on (a resumable run's number of parts);
    0 when the options name neither (the shard job then refuses them)."""
    total = count_vcf_alleles(vcf) if vcf else count_fasta_records(ref_fasta) if ref_fasta else 0
    return -(-total // variant_inputs.CASES_PER_CHUNK)


def _vcf_writer(outputs: OutputSet, vcf_out, vcf_header: list[str], chosen: list[str], header: list[str],
                context: RunContext) -> AnnotatedVcfWriter:
    """The annotated VCF (BGZF with a tabix index for .gz): the input's records with DNALENS_* INFO fields."""
    info = [(INFO_FIELDS[score][0], "Float", INFO_FIELDS[score][1]) for score in chosen]
    info.append(("DNALENS_STATUS", "String", "ok, or why the variant was not scored"))
    return AnnotatedVcfWriter(outputs, vcf_out, vcf_header, info, header, context.warn)
