"""The variants operation: zero-shot effect scores for WT/mutant pairs (paired FASTA or VCF + reference).

- l2, cosine: distance between the pooled hidden states of the WT and the mutant window;
- llr: log P(alt) − log P(ref). Masked models: SNVs at the masked site, one pass per site for all ALT alleles;
  indels and multi-base changes (one-nucleotide tokens) as a pseudo-log-likelihood difference over the
  positions both windows share; masked BPE models, SNVs: the difference of the two windows'
  pseudo-log-likelihoods. Causal models: full-sequence log-likelihoods. Undefined (left empty) for
  non-SNVs with masked k-mer or BPE models.
- rc_average: every score from both strands. llr is the mean of the forward llr and the llr of the
  reverse-complemented windows (alleles complemented, site mirrored); l2/cosine are distances between
  strand-averaged embeddings, exactly as `embed --rc-average` defines an embedding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..compute.causal_likelihood import PrefixSharedPass
from ..compute.embedder import Embedder, EmbeddingOptions
from ..compute.scoring import BASES, Scorer
from ..context import RunContext
from ..errors import InputError
from ..io.counting import count_fasta_records, count_lines_starting
from ..io.outputs import OutputSet, format_value, write_tsv_header
from ..io.reference import Reference, reference_files
from ..io.vcf import AnnotatedVcfWriter, VcfFile, read_vcf
from ..model import BASE, CAUSAL, LanguageModel
from ..model.tokens import BPE, NUCLEOTIDE
from ..provenance import provenance, provenance_lines
from ..runner import Progress, Runner, chunked
from .variant_inputs import (
    DEFAULT_MAX_DIFFERENCES,
    MISMATCHED,
    PAIR_COLUMNS,
    VCF_COLUMNS,
    VariantCase,
    minimal_difference,
    pair_cases,
    reverse_complement_case,
    vcf_cases,
)

SCORES = ("l2", "cosine", "llr")
DEFAULT_WINDOW = 201  # bp, as in the GTN tutorial
CHUNK = 128
PLL_TOKENS = 1 << 22  # masked tokens held at once for indel pseudo-log-likelihoods (about 100 windows of 201 bp)
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
    if model.family == BASE:
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
    return wanted


def scores_indels_by_pseudo_likelihood(model: LanguageModel) -> bool:
    """Masked models with one token per base: a base-by-base pseudo-log-likelihood is defined on both windows."""
    return model.family != CAUSAL and model.tokens.kind == NUCLEOTIDE


def llr_method(model: LanguageModel, rc_average: bool = False) -> str:
    strands = ("; averaged over both strands: (llr of the windows + llr of their reverse complements, alleles "
               "complemented) / 2" if rc_average else "; forward strand only")
    if model.family == CAUSAL:
        return ("causal: log P(alt sequence) - log P(ref sequence), full-sequence likelihood (the tokens before "
                "the change computed once for both)" + strands)
    if model.tokens.kind == BPE:
        return ("masked BPE: SNVs: PLL(alt window) - PLL(ref window), PLL = sum of log P(token | all other tokens), "
                "each token masked in turn (a base is not a token; the two windows may differ in their number of "
                "tokens); indels and multi-base changes: not defined (left empty)" + strands)
    snvs = "masked: SNVs: log P(alt) - log P(ref) at the masked site, one forward pass per site"
    if not scores_indels_by_pseudo_likelihood(model):
        return snvs + "; indels and multi-base changes: not defined for k-mer tokens (left empty)" + strands
    return (snvs + "; indels and multi-base changes: pseudo-log-likelihood difference over aligned positions, "
            "sum of log P(base | rest of the alt window) - log P(base | rest of the ref window), each base masked in "
            "turn; aligned = every position for same-length changes, the shared flanks around an indel (the "
            "inserted or deleted bases have no counterpart, and whole windows of different lengths would differ "
            "by about 1.3 nats per base); len(ref window) + len(alt window) forward passes per variant" + strands)


# Status of a variant whose scores came out NaN or infinite.
NOT_FINITE = "model_output_not_finite"


class VariantScorer:
    def __init__(self, model: LanguageModel, scores: list[str], embedding: EmbeddingOptions, runner: Runner,
                 share_prefixes: bool = True):
        self.model = model
        self.runner = runner
        self.share_prefixes = share_prefixes
        self.scores = scores
        # One option for every score: embedding.rc_average also makes llr strand-averaged.
        self.rc_average = embedding.rc_average
        self.embedder = Embedder(model, embedding, runner) if {"l2", "cosine"} & set(scores) else None
        self.scorer = Scorer(model, runner) if "llr" in scores else None
        self.max_bp = model.max_bp
        self.progress: Progress | None = None  # checked for cancellation inside long work (indel likelihoods)

    def score(self, cases: list[VariantCase]) -> list[dict]:
        results = [dict.fromkeys(self.scores) for _ in cases]
        ok = self._scorable(cases)
        if not ok:
            return results
        chosen = [cases[i] for i in ok]
        sequences = [c.ref_sequence for c in chosen] + [c.alt_sequence for c in chosen]
        embedder = self.embedder if self.embedder and self.embedder.fits_one_window(sequences) else None
        llrs, vectors = self._llrs_and_vectors(chosen, embedder)
        if self.rc_average and llrs is not None:
            reverse, _ = self._llrs_and_vectors([reverse_complement_case(c) for c in chosen], None)
            llrs = [None if a is None or b is None else (a + b) / 2 for a, b in zip(llrs, reverse)]
        if vectors is None and self.embedder is not None:
            vectors = self.embedder.embed(sequences)  # both strands averaged here when rc_average
        for row, i in enumerate(ok):
            if llrs is not None:
                results[i]["llr"] = llrs[row]
            if vectors is not None:
                results[i].update(self._distances(vectors[row], vectors[len(ok) + row]))
            if not all(value is None or math.isfinite(value) for value in results[i].values()):
                # A NaN or an infinity from the model (damaged weights, fp16 overflow) is never a score.
                cases[i].status = NOT_FINITE
                results[i] = dict.fromkeys(self.scores)
        return results

    def _scorable(self, cases: list[VariantCase]) -> list[int]:
        for case in cases:
            if case.status == "ok":
                longest = max(len(case.ref_sequence), len(case.alt_sequence))
                if longest > self.max_bp:
                    case.status = f"too_long({longest}bp>{self.max_bp}bp)"
        return [i for i, case in enumerate(cases) if case.status == "ok"]

    def _llrs_and_vectors(self, cases: list[VariantCase], embedder: Embedder | None) -> tuple[list | None, object]:
        """llr per case (None where undefined) when llr is wanted, and the pooled REF then ALT vectors when a
        causal pass could compute them on the way (embedder given); None for what was not computed."""
        # Causal models: REF and ALT share every token before the change, and a causal model's states there
        # do not depend on what follows, so that part runs once, for the embeddings and the likelihoods alike.
        if self.model.family == CAUSAL and (self.scorer is not None or embedder is not None):
            likelihoods, pooled = self._causal_pass(cases, embedder)
            llrs = [likelihoods[c.alt_sequence] - likelihoods[c.ref_sequence] for c in cases] if self.scorer else None
            sequences = [c.ref_sequence for c in cases] + [c.alt_sequence for c in cases]
            vectors = np.array([pooled[s][0] for s in sequences], dtype=np.float32) if embedder else None
            return llrs, vectors
        return (self._masked_llrs(cases) if self.scorer is not None else None), None

    def _distances(self, wt: np.ndarray, mutant: np.ndarray) -> dict:
        wt, mutant = wt.astype(np.float64), mutant.astype(np.float64)
        out = {}
        if "l2" in self.scores:
            out["l2"] = float(np.linalg.norm(wt - mutant))
        if "cosine" in self.scores:
            norms = np.linalg.norm(wt) * np.linalg.norm(mutant)
            out["cosine"] = float(1 - wt @ mutant / norms) if norms else None
        return out

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

    def _masked_llrs(self, cases: list[VariantCase]) -> list[float | None]:
        """SNVs: all ALT alleles of one site share one masked pass. Other changes: pseudo-log-likelihoods."""
        if self.model.tokens.kind == BPE:
            return self._bpe_snv_llrs(cases)
        llrs: list[float | None] = [None] * len(cases)
        sites = sorted({(c.ref_sequence, c.site) for c in cases if c.site is not None})
        # No SNV in the chunk: no masked pass (the tokenizer refuses an empty batch).
        log_probs = dict(zip(sites, self.scorer.site_raw_log_probs(sites))) if sites else {}
        for row, case in enumerate(cases):
            if case.site is None:
                continue
            values = log_probs[(case.ref_sequence, case.site)]
            ref_base, alt_base = case.ref_sequence[case.site], case.alt_sequence[case.site]
            if ref_base in BASES and alt_base in BASES:
                llr = values[BASES.index(alt_base)] - values[BASES.index(ref_base)]
                llrs[row] = float(llr)
        if scores_indels_by_pseudo_likelihood(self.model):
            self._pseudo_likelihood_llrs(cases, llrs)
        return llrs

    def _bpe_snv_llrs(self, cases: list[VariantCase]) -> list[float | None]:
        """Masked BPE models (DNABERT-2, GENA-LM): a base is not a token, so no masked pass reads an allele.
        SNVs: PLL(alt window) - PLL(ref window), every token masked in turn: the same quantity `predict` uses to
        rank the four bases (log P(alt) - log P(ref) of its normalised candidates). Indels: left empty."""
        llrs: list[float | None] = [None] * len(cases)
        rows = [row for row, case in enumerate(cases) if case.site is not None]
        windows = sorted({w for row in rows for w in (cases[row].ref_sequence, cases[row].alt_sequence)})
        pll = dict(zip(windows, self.scorer.pseudo_log_likelihoods(windows, self.progress))) if windows else {}
        for row in rows:
            llrs[row] = pll[cases[row].alt_sequence] - pll[cases[row].ref_sequence]
        return llrs

    def _pseudo_likelihood_llrs(self, cases: list[VariantCase], llrs: list[float | None]) -> None:
        rows = [row for row, case in enumerate(cases) if case.site is None]
        windows = sorted({w for row in rows for w in (cases[row].ref_sequence, cases[row].alt_sequence)})
        if not windows:
            return
        per_base: dict[str, np.ndarray] = {}
        for group in _bounded_groups(windows, PLL_TOKENS):
            per_base.update(zip(group, self.scorer.masked_token_log_probs(group, self.progress)))
        for row in rows:
            llrs[row] = aligned_pll_difference(cases[row].ref_sequence, cases[row].alt_sequence,
                                               per_base[cases[row].ref_sequence], per_base[cases[row].alt_sequence])


def aligned_pll_difference(ref: str, alt: str, ref_log_probs: np.ndarray, alt_log_probs: np.ndarray) -> float | None:
    """Σ over aligned positions of log P(base | rest of the ALT window) − log P(base | rest of the REF window).

    Aligned positions: every position when the windows have the same length (an MNV: its changed bases count,
    as the SNV llr does); otherwise only the flanks both windows share around the change. Summing whole windows
    of different lengths would add about 1.3 nats per deleted base (one term fewer) whatever the variant does.
    """
    if len(ref_log_probs) != len(ref) or len(alt_log_probs) != len(alt):
        return None  # not one token per base
    if len(ref) == len(alt):
        return float(alt_log_probs.sum() - ref_log_probs.sum())
    start, ref_part, alt_part = minimal_difference(ref, alt)
    ref_flanks = ref_log_probs[:start].sum() + ref_log_probs[start + len(ref_part):].sum()
    alt_flanks = alt_log_probs[:start].sum() + alt_log_probs[start + len(alt_part):].sum()
    return float(alt_flanks - ref_flanks)


def _bounded_groups(windows: list[str], budget: int) -> Iterator[list[str]]:
    """Consecutive groups whose masked copies (len(window) copies of len(window) tokens each) stay within
    `budget` tokens, so memory does not grow with the number of indels in a chunk."""
    group: list[str] = []
    used = 0
    for window in windows:
        if group and used + len(window) ** 2 > budget:
            yield group
            group, used = [], 0
        group.append(window)
        used += len(window) ** 2
    if group:
        yield group


@dataclass
class _Input:
    """Where the cases come from, and what the output says about it."""
    cases: Iterable[VariantCase]
    total: int
    columns: list[str]
    parameters: dict
    vcf_file: VcfFile | None = None
    genome: Reference | None = None


def _vcf_input(model: LanguageModel, vcf, reference, window: int | None) -> _Input:
    if reference is None:
        raise InputError("--vcf needs --reference GENOME.fa")
    window = window or min(DEFAULT_WINDOW, model.max_bp)
    if window < 3 or window > model.max_bp:
        raise InputError(f"--window {window}: must be between 3 and the model's limit of {model.max_bp} bp")
    vcf_file = read_vcf(vcf)
    genome = Reference(reference)
    return _Input(vcf_cases(vcf_file, genome, window), count_lines_starting(vcf, "", skip="#"), VCF_COLUMNS,
                  {"window": window, "input": Path(vcf).name, "reference": Path(reference).name}, vcf_file, genome)


def _paired_input(ref_fasta, alt_fasta, pair_by: str, max_differences: int | None,
                  warn: Callable[[str], None]) -> _Input:
    if ref_fasta is None or alt_fasta is None:
        raise InputError("paired mode needs both --ref-fasta and --alt-fasta")
    max_differences = DEFAULT_MAX_DIFFERENCES if max_differences is None else max_differences
    if max_differences < 1:
        raise InputError(f"--max-differences {max_differences}: must be at least 1")
    ref_count, alt_count = count_fasta_records(ref_fasta), count_fasta_records(alt_fasta)
    if pair_by == "order" and ref_count != alt_count:
        raise InputError(f"{ref_fasta} has {ref_count} records and {alt_fasta} has {alt_count}; "
                         "paired files must match one to one")
    cases = pair_cases(ref_fasta, alt_fasta, pair_by, warn, max_differences)
    return _Input(cases, ref_count, PAIR_COLUMNS,
                  {"pair_by": pair_by, "max_differences": max_differences,
                   "input": f"{Path(ref_fasta).name},{Path(alt_fasta).name}"})


def _open_input(model: LanguageModel, warn: Callable[[str], None], *, ref_fasta, alt_fasta, pair_by: str, vcf,
                reference, window: int | None, vcf_out, max_differences: int | None) -> _Input:
    vcf_mode = vcf is not None
    if vcf_mode == (ref_fasta is not None or alt_fasta is not None):
        raise InputError("give either --ref-fasta and --alt-fasta, or --vcf and --reference")
    if vcf_out and not vcf_mode:
        raise InputError("--vcf-out needs VCF input (--vcf and --reference)")
    if vcf_mode and max_differences is not None:
        raise InputError("--max-differences applies to paired FASTA input; a VCF's alleles are checked against "
                         "the reference instead")
    if vcf_mode:
        return _vcf_input(model, vcf, reference, window)
    return _paired_input(ref_fasta, alt_fasta, pair_by, max_differences, warn)


@dataclass
class _Tally:
    """Counts per status while rows are written; remembers the first mismatched pair for the error."""
    counted: int = 0
    scored: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    first_mismatch: VariantCase | None = None

    def add(self, case: VariantCase) -> None:
        self.counted += 1
        if case.status == "ok":
            self.scored += 1
            return
        reason = case.status.split("(")[0]
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        if reason == MISMATCHED and self.first_mismatch is None:
            self.first_mismatch = case

    def check(self, source: _Input, reference) -> None:
        """Errors for a run whose output would mislead (raised before the outputs are put in place)."""
        if self.counted == 0:
            raise InputError("no variants found in the input")
        if (source.genome is not None and self.scored == 0
                and self.skipped.get("chrom_not_in_reference") == self.counted):
            raise InputError(f"none of the VCF's chromosomes are in the reference ({Path(reference).name} has "
                             f"{', '.join(list(source.genome.lengths)[:5])}…); check that both use the same assembly")
        mismatched = self.skipped.get(MISMATCHED, 0)
        if 2 * mismatched > self.counted:
            first = self.first_mismatch
            raise InputError(
                f"the files do not correspond: {mismatched} of {self.counted} pairs are not variants of each other "
                f"(first: pair {first.identity['pair']} '{first.identity['id']}', {first.status}); check that the "
                "reference and mutant files hold the same loci in the same order, or raise --max-differences")

    def warnings(self, source: _Input) -> list[str]:
        messages = []
        if self.skipped.get(MISMATCHED):
            messages.append(f"{self.skipped[MISMATCHED]} of {self.counted} pairs differ in more places than "
                            f"--max-differences {source.parameters['max_differences']} and were not scored "
                            f"(status {MISMATCHED}): are they the same loci?")
        if self.skipped:
            messages.append("skipped " + ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items())))
        return messages


def _header(model: LanguageModel, record: dict, embedding: EmbeddingOptions, chosen: list[str]) -> list[str]:
    distances = embedding.describe()
    if embedding.rc_average:
        distances += (" (each embedding is the mean of its forward and reverse-complement strands' vectors, as in "
                      "embed --rc-average; l2/cosine are distances between these means)")
    header = provenance_lines(record) + [f"l2/cosine method: {distances}"]
    if "llr" in chosen:
        header.append(f"llr method: {llr_method(model, embedding.rc_average)}")
    header.append("status: ok = scored; otherwise the reason the variant was skipped (scores left empty)")
    return header


def score_variants(model: LanguageModel, out_tsv: str | Path, *, ref_fasta: str | Path | None = None,
                   alt_fasta: str | Path | None = None, pair_by: str = "order", vcf: str | Path | None = None,
                   reference: str | Path | None = None, window: int | None = None, vcf_out: str | Path | None = None,
                   scores: str | None = None, embedding: EmbeddingOptions | None = None, rc_average: bool = False,
                   max_differences: int | None = None, context: RunContext | None = None,
                   runner: Runner | None = None) -> VariantResult:
    """rc_average: every score from both strands (the embedding options' own rc_average is replaced by it).
    max_differences: paired mode only (default 10); a pair differing in more places is not scored."""
    context = context or RunContext()
    embedding = replace(embedding or EmbeddingOptions(), rc_average=rc_average)
    runner = runner or Runner.for_model(model, context.warn)
    chosen = parse_scores(scores, model)
    scorer = VariantScorer(model, chosen, embedding, runner)
    source = _open_input(model, context.warn, ref_fasta=ref_fasta, alt_fasta=alt_fasta, pair_by=pair_by, vcf=vcf,
                         reference=reference, window=window, vcf_out=vcf_out, max_differences=max_differences)
    parameters = {"scores": ",".join(chosen), "pooling": embedding.pooling, "layer": embedding.layer,
                  "rc_average": True if rc_average else None, **source.parameters}
    header = _header(model, provenance(model.describe(), "variants", parameters), embedding, chosen)
    tally = _Tally()
    progress = context.progress(source.total, "variants")
    scorer.progress = progress
    try:
        with OutputSet(inputs=[ref_fasta, alt_fasta, vcf, *reference_files(reference)]) as outputs:
            handle = outputs.open_text(out_tsv)
            write_tsv_header(handle, header, source.columns + chosen + ["status"])
            vcf_writer = _vcf_writer(outputs, vcf_out, source.vcf_file, chosen, header, context) if vcf_out else None
            for chunk in chunked(source.cases, CHUNK):
                for case, result in zip(chunk, scorer.score(chunk)):
                    cells = [case.identity[c] for c in source.columns] + [result[s] for s in chosen] + [case.status]
                    handle.write("\t".join(format_value(v) for v in cells) + "\n")
                    if vcf_writer:
                        vcf_writer.write(case.variant, {**{INFO_FIELDS[s][0]: result.get(s) for s in chosen},
                                                        "DNALENS_STATUS": case.status})
                    tally.add(case)
                progress.advance(len(chunk))
            tally.check(source, reference)
            written = [Path(out_tsv)] + (vcf_writer.finish() if vcf_writer else [])
    finally:
        progress.close()
    for message in tally.warnings(source):
        context.warn(message)
    method = llr_method(model, rc_average) if "llr" in chosen else None
    return VariantResult(tally.counted, tally.scored, tally.skipped, chosen, method, written)


def _vcf_writer(outputs: OutputSet, vcf_out, vcf_file: VcfFile, chosen: list[str], header: list[str],
                context: RunContext) -> AnnotatedVcfWriter:
    """The annotated VCF (BGZF with a tabix index for .gz): the input's records with DNALENS_* INFO fields."""
    info = [(INFO_FIELDS[score][0], "Float", INFO_FIELDS[score][1]) for score in chosen]
    info.append(("DNALENS_STATUS", "String", "ok, or why the variant was not scored"))
    return AnnotatedVcfWriter(outputs, vcf_out, vcf_file.header, info, header, context.warn)
