"""The variants operation: zero-shot effect scores for WT/mutant pairs (paired FASTA or VCF + reference).

- l2, cosine: distance between the pooled hidden states of the WT and the mutant window;
- llr: log P(alt) − log P(ref). Masked models: at the masked site, one pass per site for all ALT alleles.
  Causal models: full-sequence log-likelihoods. Undefined (left empty) for indels and multi-base changes
  with masked models, and for masked BPE models.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .causal_likelihood import PrefixSharedPass
from .context import RunContext
from .embedding import Embedder, EmbeddingOptions
from .errors import DNALensError, InputError
from .io.counting import count_fasta_records, count_lines_starting
from .io.outputs import OutputSet, format_value, write_tsv_header
from .io.reference import Reference
from .io.vcf import read_vcf
from .model import BASE, CAUSAL, LanguageModel
from .model.tokens import BPE
from .provenance import provenance, provenance_lines
from .runner import Runner, chunked
from .scoring import BASES, Scorer
from .variant_cases import PAIR_COLUMNS, VCF_COLUMNS, VariantCase, pair_cases, vcf_cases

SCORES = ("l2", "cosine", "llr")
DEFAULT_WINDOW = 201  # bp, as in the GTN tutorial
CHUNK = 128
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


def supported_scores(model: LanguageModel) -> list[str]:
    if model.family == BASE or (model.family != CAUSAL and model.tokens.kind == BPE):
        return ["l2", "cosine"]
    return list(SCORES)


def parse_scores(text: str | None, model: LanguageModel) -> list[str]:
    if not text:
        return supported_scores(model)
    wanted = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SCORES]
    if unknown:
        raise InputError(f"--scores {text}: unknown score '{unknown[0]}'; choose from {', '.join(SCORES)}")
    if "llr" in wanted:
        model.require_lm_head("--scores llr")
        if "llr" not in supported_scores(model):
            raise DNALensError(f"--scores llr: not defined for masked models with BPE tokens ('{model.id}'); "
                               "use l2,cosine")
    return wanted


def llr_method(model: LanguageModel) -> str:
    if model.family == CAUSAL:
        return ("causal: log P(alt sequence) - log P(ref sequence), full-sequence likelihood (the tokens before "
                "the change computed once for both)")
    return "masked: log P(alt) - log P(ref) at the masked site, one forward pass per site (SNVs only)"


class VariantScorer:
    def __init__(self, model: LanguageModel, scores: list[str], embedding: EmbeddingOptions, runner: Runner,
                 share_prefixes: bool = True):
        self.model = model
        self.runner = runner
        self.share_prefixes = share_prefixes
        self.scores = scores
        self.embedder = Embedder(model, embedding, runner) if {"l2", "cosine"} & set(scores) else None
        self.scorer = Scorer(model, runner) if "llr" in scores else None
        self.max_bp = model.max_bp

    def score(self, cases: list[VariantCase]) -> list[dict]:
        results = [dict.fromkeys(self.scores) for _ in cases]
        ok = [i for i, case in enumerate(cases) if case.status == "ok"]
        for i in ok:
            longest = max(len(cases[i].ref_sequence), len(cases[i].alt_sequence))
            if longest > self.max_bp:
                cases[i].status = f"too_long({longest}bp>{self.max_bp}bp)"
        ok = [i for i in ok if cases[i].status == "ok"]
        if not ok:
            return results
        sequences = [cases[i].ref_sequence for i in ok] + [cases[i].alt_sequence for i in ok]
        vectors = None
        # Causal models: REF and ALT share every token before the change, and a causal model's states there
        # do not depend on what follows, so that part runs once, for the embeddings and the likelihoods alike.
        embedder = self.embedder if self.embedder and self.embedder.fits_one_window(sequences) else None
        if self.model.family == CAUSAL and (self.scorer is not None or embedder is not None):
            likelihoods, pooled = self._causal_pass([cases[i] for i in ok], embedder)
            if self.scorer is not None:
                for i in ok:
                    results[i]["llr"] = likelihoods[cases[i].alt_sequence] - likelihoods[cases[i].ref_sequence]
            if embedder is not None:
                vectors = np.array([pooled[s][0] for s in sequences], dtype=np.float32)
        elif self.scorer is not None:
            self._masked_llr([cases[i] for i in ok], [results[i] for i in ok])
        if vectors is None and self.embedder is not None:
            vectors = self.embedder.embed(sequences)
        if vectors is not None:
            wt, mutant = vectors[: len(ok)].astype(np.float64), vectors[len(ok):].astype(np.float64)
            for row, i in enumerate(ok):
                if "l2" in self.scores:
                    results[i]["l2"] = float(np.linalg.norm(wt[row] - mutant[row]))
                if "cosine" in self.scores:
                    norms = np.linalg.norm(wt[row]) * np.linalg.norm(mutant[row])
                    results[i]["cosine"] = float(1 - wt[row] @ mutant[row] / norms) if norms else None
        return results

    def _causal_pass(self, cases: list[VariantCase], embedder: Embedder | None) -> tuple[dict, dict]:
        """Log-likelihood (and pooled states) of every REF and ALT sequence. All alleles of one site form a group
        whose common start runs once (causal_likelihood.PrefixSharedPass)."""
        alleles: dict[str, list[str]] = {}
        for case in cases:
            group = alleles.setdefault(case.ref_sequence, [case.ref_sequence])
            if case.alt_sequence not in group:
                group.append(case.alt_sequence)
        groups = list(alleles.values())
        scored = PrefixSharedPass(self.model, self.runner, embedder, self.share_prefixes).run(
            [self.model.encode(group) for group in groups])
        likelihoods, pooled = {}, {}
        for group, values in zip(groups, scored):
            for sequence, (likelihood, vector) in zip(group, values):
                likelihoods[sequence], pooled[sequence] = likelihood, vector
        return likelihoods, pooled

    def _masked_llr(self, cases: list[VariantCase], results: list[dict]) -> None:
        """All ALT alleles of one site share one masked pass."""
        sites = sorted({(c.ref_sequence, c.site) for c in cases if c.site is not None})
        log_probs = dict(zip(sites, self.scorer.site_raw_log_probs(sites)))
        for case, result in zip(cases, results):
            if case.site is None:
                continue
            values = log_probs[(case.ref_sequence, case.site)]
            ref_base, alt_base = case.ref_sequence[case.site], case.alt_sequence[case.site]
            if ref_base in BASES and alt_base in BASES:
                llr = values[BASES.index(alt_base)] - values[BASES.index(ref_base)]
                result["llr"] = float(llr) if np.isfinite(llr) else None


def score_variants(model: LanguageModel, out_tsv: str | Path, *, ref_fasta: str | Path | None = None,
                   alt_fasta: str | Path | None = None, pair_by: str = "order", vcf: str | Path | None = None,
                   reference: str | Path | None = None, window: int | None = None, vcf_out: str | Path | None = None,
                   scores: str | None = None, embedding: EmbeddingOptions | None = None,
                   context: RunContext | None = None, runner: Runner | None = None) -> VariantResult:
    context = context or RunContext()
    embedding = embedding or EmbeddingOptions()
    runner = runner or Runner.for_model(model, context.warn)
    chosen = parse_scores(scores, model)
    scorer = VariantScorer(model, chosen, embedding, runner)
    vcf_mode = vcf is not None
    if vcf_mode == (ref_fasta is not None or alt_fasta is not None):
        raise InputError("give either --ref-fasta and --alt-fasta, or --vcf and --reference")
    if vcf_out and not vcf_mode:
        raise InputError("--vcf-out needs VCF input (--vcf and --reference)")
    parameters = {"scores": ",".join(chosen), "pooling": embedding.pooling, "layer": embedding.layer}
    if vcf_mode:
        if reference is None:
            raise InputError("--vcf needs --reference GENOME.fa")
        window = window or min(DEFAULT_WINDOW, model.max_bp)
        if window < 3 or window > model.max_bp:
            raise InputError(f"--window {window}: must be between 3 and the model's limit of {model.max_bp} bp")
        vcf_file = read_vcf(vcf)
        genome = Reference(reference)
        cases: Iterable[VariantCase] = vcf_cases(vcf_file, genome, window)
        total = count_lines_starting(vcf, "", skip="#")
        columns = VCF_COLUMNS
        parameters.update(window=window, input=Path(vcf).name, reference=Path(reference).name)
    else:
        if ref_fasta is None or alt_fasta is None:
            raise InputError("paired mode needs both --ref-fasta and --alt-fasta")
        ref_count, alt_count = count_fasta_records(ref_fasta), count_fasta_records(alt_fasta)
        if pair_by == "order" and ref_count != alt_count:
            raise InputError(f"{ref_fasta} has {ref_count} records and {alt_fasta} has {alt_count}; "
                             "paired files must match one to one")
        cases = pair_cases(ref_fasta, alt_fasta, pair_by, context.warn)
        total = ref_count
        columns = PAIR_COLUMNS
        parameters.update(pair_by=pair_by, input=f"{Path(ref_fasta).name},{Path(alt_fasta).name}")
    record = provenance(model.describe(), "variants", parameters)
    header = provenance_lines(record) + [f"l2/cosine method: {embedding.describe()}"]
    if "llr" in chosen:
        header.append(f"llr method: {llr_method(model)}")
    header.append("status: ok = scored; otherwise the reason the variant was skipped (scores left empty)")
    counted, scored, skipped = 0, 0, {}
    progress = context.progress(total, "variants")
    try:
        with OutputSet() as outputs:
            handle = outputs.open_text(out_tsv)
            write_tsv_header(handle, header, columns + chosen + ["status"])
            vcf_handle = outputs.open_text(vcf_out) if vcf_out else None
            if vcf_handle:
                _write_vcf_header(vcf_handle, vcf_file.header, chosen, header)
            for chunk in chunked(cases, CHUNK):
                results = scorer.score(chunk)
                for case, result in zip(chunk, results):
                    cells = [case.identity[c] for c in columns] + [result[s] for s in chosen] + [case.status]
                    handle.write("\t".join(format_value(v) for v in cells) + "\n")
                    if vcf_handle:
                        _write_vcf_record(vcf_handle, case, result, chosen)
                    if case.status == "ok":
                        scored += 1
                    else:
                        reason = case.status.split("(")[0]
                        skipped[reason] = skipped.get(reason, 0) + 1
                counted += len(chunk)
                progress.advance(len(chunk))
            if counted == 0:
                raise InputError("no variants found in the input")
            if vcf_mode and scored == 0 and skipped.get("chrom_not_in_reference") == counted:
                raise InputError(f"none of the VCF's chromosomes are in the reference ({Path(reference).name} has "
                                 f"{', '.join(list(genome.lengths)[:5])}…); check that both use the same assembly")
    finally:
        progress.close()
    if skipped:
        context.warn("skipped " + ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items())))
    method = llr_method(model) if "llr" in chosen else None
    return VariantResult(counted, scored, skipped, chosen, method, [Path(p) for p in (out_tsv, vcf_out) if p])


def _write_vcf_header(handle, header: list[str], chosen: list[str], provenance_header: list[str]) -> None:
    for line in header[:-1]:
        handle.write(line + "\n")
    for score in chosen:
        info_id, description = INFO_FIELDS[score]
        handle.write(f'##INFO=<ID={info_id},Number=1,Type=Float,Description="{description}">\n')
    handle.write('##INFO=<ID=DNALENS_STATUS,Number=1,Type=String,Description="ok, or why the variant was not '
                 'scored">\n')
    for line in provenance_header:
        handle.write(f"##dnalens_provenance={line}\n")
    handle.write("\t".join(header[-1].split("\t")[:8]) + "\n")


def _write_vcf_record(handle, case: VariantCase, result: dict, chosen: list[str]) -> None:
    """One line per ALT allele (multi-allelic sites are split); sample columns are dropped for that reason."""
    fields = list(case.variant.fields[:8]) + ["."] * (8 - len(case.variant.fields[:8]))
    fields[4] = case.variant.alt
    info = [] if fields[7] in ("", ".") else [fields[7]]
    for score in chosen:
        if result.get(score) is not None:
            info.append(f"{INFO_FIELDS[score][0]}={result[score]:.6g}")
    info.append(f"DNALENS_STATUS={case.status.replace(';', ',').replace('=', ':').replace(' ', '_')}")
    fields[7] = ";".join(info)
    handle.write("\t".join(fields) + "\n")
