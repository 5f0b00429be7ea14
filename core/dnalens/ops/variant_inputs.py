"""Turning inputs into WT/mutant sequence pairs: paired FASTA files, or a VCF on a reference genome.

Each case carries its identity columns, the two sequences, the 0-based site of a single-base change, and a
status (variant_status.py): ok when it can be scored, otherwise the reason it is skipped (never scored silently
wrong).
A paired WT/mutant that differs in more places than a small variant explains is 'mismatched_pair'; a VCF REF
allele that would fill more than half of its window is 'ref_longer_than_half_window' (too little context).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..choices import DEFAULT_MAX_DIFFERENCES, DEFAULT_WINDOW
from ..errors import InputError
from ..io.counting import count_fasta_records, count_lines_starting, count_vcf_alleles, vcf_chromosomes
from ..io.fasta import SequenceRecord, read_fasta
from ..io.reference import Reference
from ..io.vcf import Variant, VcfFile, read_vcf
from ..sequence import reverse_complement
from ..shards import Shard, shard_parameters, shard_range, shard_total, take_shard
from . import variant_status as status
from .variant_status import OK, VariantStatus

PAIR_COLUMNS = ["pair", "id", "position", "ref", "alt"]
CASES_PER_CHUNK = 128  # cases scored at a time (ops/variants.py); shards end on this grid (shards.py)
VCF_COLUMNS = ["chrom", "pos", "id", "ref", "alt"]


@dataclass(frozen=True)
class VariantCase:
    identity: dict
    ref_sequence: str | None = None
    alt_sequence: str | None = None
    site: int | None = None  # 0-based position of a single-base substitution in ref_sequence
    status: VariantStatus = OK
    variant: Variant | None = field(default=None, repr=False)


def minimal_difference(ref: str, alt: str) -> tuple[int, str, str]:
    """0-based start and the differing segments after trimming the common prefix and suffix."""
    prefix = 0
    while prefix < min(len(ref), len(alt)) and ref[prefix] == alt[prefix]:
        prefix += 1
    suffix = 0
    while (suffix < min(len(ref), len(alt)) - prefix and ref[len(ref) - 1 - suffix] == alt[len(alt) - 1 - suffix]):
        suffix += 1
    return prefix, ref[prefix : len(ref) - suffix], alt[prefix : len(alt) - suffix]


def count_differences(ref_part: str, alt_part: str) -> int:
    """Positions a variant changes: the differing bases of equal-length segments (1 for an SNV, k for k
    substitutions), otherwise the longer segment's length (n for an n-bp indel). An upper bound on the edit
    distance, so a real small variant never counts more than it is."""
    if len(ref_part) == len(alt_part):
        return sum(a != b for a, b in zip(ref_part, alt_part))
    return max(len(ref_part), len(alt_part))


def pair_case(number: int, ref: SequenceRecord, alt: SequenceRecord,
              max_differences: int = DEFAULT_MAX_DIFFERENCES) -> VariantCase:
    start, ref_part, alt_part = minimal_difference(ref.sequence, alt.sequence)
    if not ref_part and not alt_part:
        return VariantCase({"pair": number, "id": ref.id, "position": "", "ref": "", "alt": ""},
                           status=VariantStatus(status.NO_DIFFERENCE))
    identity = {"pair": number, "id": ref.id, "position": start + 1, "ref": ref_part or "-", "alt": alt_part or "-"}
    differences = count_differences(ref_part, alt_part)
    if differences > max_differences:
        # Not a variant of the WT: scores would measure two unrelated sequences, so none are given.
        return VariantCase(identity, status=VariantStatus(status.MISMATCHED,
                                                          f"{differences} differences>{max_differences}"))
    site = start if len(ref_part) == 1 and len(alt_part) == 1 else None
    return VariantCase(identity, ref.sequence, alt.sequence, site)


def reverse_complement_case(case: VariantCase) -> VariantCase:
    """The same variant read on the other strand: both windows reverse-complemented (so the alleles are
    complemented) and the site mirrored."""
    site = None if case.site is None else len(case.ref_sequence) - 1 - case.site
    return VariantCase(case.identity, reverse_complement(case.ref_sequence), reverse_complement(case.alt_sequence),
                       site, case.status, case.variant)


def pair_cases(ref_fasta: str | Path, alt_fasta: str | Path, pair_by: str, warn: Callable[[str], None],
               max_differences: int = DEFAULT_MAX_DIFFERENCES) -> Iterator[VariantCase]:
    if pair_by == "order":
        pairs = _pairs_by_order(ref_fasta, alt_fasta, warn)
    elif pair_by == "id":
        pairs = _pairs_by_id(ref_fasta, alt_fasta)
    else:
        raise InputError(f"--pair-by {pair_by}: expected order or id")
    for number, ref, alt in pairs:
        yield pair_case(number, ref, alt, max_differences)


def _pairs_by_order(ref_fasta, alt_fasta, warn) -> Iterator[tuple[int, SequenceRecord, SequenceRecord]]:
    warned = False
    # Ids are only labels here, so repeated ids (as in the GTN files) are fine.
    alt_records = read_fasta(alt_fasta, unique_ids=False)
    for number, ref in enumerate(read_fasta(ref_fasta, unique_ids=False), start=1):
        alt = next(alt_records, None)
        if alt is None:
            raise InputError(f"{alt_fasta} has fewer records than {ref_fasta} (pairing by order stopped at "
                             f"record {number}, '{ref.id}')")
        if alt.id != ref.id and not warned:
            warn(f"pairing by order: record ids differ (first at record {number}: '{ref.id}' vs '{alt.id}'); "
                 "output rows use the reference file's ids. Use --pair-by id to pair by identifier.")
            warned = True
        yield number, ref, alt
    if next(alt_records, None) is not None:
        raise InputError(f"{alt_fasta} has more records than {ref_fasta}; paired files must match one to one")


def _pairs_by_id(ref_fasta, alt_fasta) -> Iterator[tuple[int, SequenceRecord, SequenceRecord]]:
    alts = {record.id: record for record in read_fasta(alt_fasta)}
    used = set()
    for number, ref in enumerate(read_fasta(ref_fasta), start=1):
        alt = alts.get(ref.id)
        if alt is None:
            raise InputError(f"record '{ref.id}' of {ref_fasta} has no record with the same id in {alt_fasta} "
                             "(use --pair-by order if the files pair by position)")
        used.add(ref.id)
        yield number, ref, alt
    unpaired = [key for key in alts if key not in used]
    if unpaired:
        raise InputError(f"{len(unpaired)} record(s) of {alt_fasta} have no partner in {ref_fasta}, "
                         f"first '{unpaired[0]}'")


def vcf_cases(vcf: VcfFile, reference: Reference, window: int,
              alleles: tuple[int, int] | None = None) -> Iterator[VariantCase]:
    """Windows of `window` bp centred on each variant (shifted inwards at chromosome ends). `alleles`: only these
    variants (0-based, half-open: a shard), the earlier ones still seen for duplicates."""
    # Alleles already seen at the current site (memory stays flat: a sorted VCF lists a site's records together).
    site, seen_here = None, {}
    for number, variant in enumerate(vcf.variants()):
        if alleles and number >= alleles[1]:
            break
        chrom = reference.resolve(variant.chrom)
        if (chrom or variant.chrom, variant.pos) != site:
            site, seen_here = (chrom or variant.chrom, variant.pos), {}
        first_line = seen_here.setdefault((variant.ref, variant.alt), variant.line)
        if alleles and number < alleles[0]:
            continue
        case = VariantCase({"chrom": variant.chrom, "pos": variant.pos, "id": variant.id, "ref": variant.ref,
                            "alt": variant.alt}, variant=variant)
        skipped = _vcf_skip_reason(variant, chrom, first_line, reference, window)
        yield replace(case, status=skipped) if skipped else _with_window(case, variant, reference, chrom, window)


def _vcf_skip_reason(variant: Variant, chrom: str | None, first_line: int, reference: Reference,
                     window: int) -> VariantStatus | None:
    """Why a VCF record cannot be scored, before its window is read; None when it can."""
    if first_line != variant.line:
        return VariantStatus(status.DUPLICATE, f"first on line {first_line}")
    if variant.is_symbolic:
        return VariantStatus(status.SYMBOLIC)
    if set(variant.alt) - set("ACGTN"):
        return VariantStatus(status.INVALID_ALT)
    if variant.alt == variant.ref:
        return VariantStatus(status.ALT_EQUALS_REF)
    if chrom is None:
        return VariantStatus(status.UNKNOWN_CHROM)
    if variant.pos - 1 + len(variant.ref) > reference.lengths[chrom]:
        return VariantStatus(status.BEYOND_END)
    if len(variant.ref) > window // 2:
        # At least half of what the model sees must be context around the change, or the scores compare a bare
        # allele with its replacement.
        return VariantStatus(status.REF_TOO_LONG, f"REF {len(variant.ref)}bp > {window}bp/2")
    return None


def _with_window(case: VariantCase, variant: Variant, reference: Reference, chrom: str, window: int) -> VariantCase:
    length = reference.lengths[chrom]
    zero = variant.pos - 1
    start = centred_window_start(zero, len(variant.ref), length, window)
    ref_window = reference.fetch(chrom, start, min(length, start + window))
    site = zero - start
    observed = ref_window[site : site + len(variant.ref)]
    if observed != variant.ref:
        return replace(case, status=VariantStatus(status.REF_MISMATCH, f"reference={observed}"))
    alt_window = ref_window[:site] + variant.alt + ref_window[site + len(variant.ref):]
    return replace(case, ref_sequence=ref_window, alt_sequence=alt_window, site=site if variant.is_snv else None)


@dataclass
class VariantInput:
    """Where the cases come from, and what the output says about it. Close it (or use `with`) to release the
    reference genome."""

    cases: Iterable[VariantCase]
    total: int
    columns: list[str]
    parameters: dict
    vcf_file: VcfFile | None = None
    genome: Reference | None = None

    def close(self) -> None:
        if self.genome is not None:
            self.genome.close()

    def __enter__(self) -> VariantInput:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def centred_window_start(start0: int, ref_length: int, length: int, window: int) -> int:
    """Where the window around a REF allele at 0-based `start0` begins in a sequence of `length` bp: centred on
    the allele, shifted inwards at the ends. Mutagenesis places its windows with it too, so its llr of an SNV
    is this one's."""
    return min(max(0, start0 - (window - ref_length) // 2), max(0, length - window))


def site_window(requested: int | None, max_bp: int) -> int:
    """The window given to the model around each VCF variant (or mutagenesis position): the default, capped at
    the model's limit, or the requested one, refused when the model cannot read it."""
    window = requested or min(DEFAULT_WINDOW, max_bp)
    if window < 3 or window > max_bp:
        raise InputError(f"--window {window}: must be between 3 and the model's limit of {max_bp} bp")
    return window


def _vcf_input(vcf, reference, window: int | None, max_bp: int, shard: Shard | None,
               warn: Callable[[str], None]) -> VariantInput:
    if reference is None:
        raise InputError("--vcf needs --reference GENOME.fa")
    window = site_window(window, max_bp)
    vcf_file = read_vcf(vcf)
    total = count_lines_starting(vcf, "", skip="#")
    alleles = None
    if shard:  # by ALT allele, the unit of the cases and of the outputs' lines
        total = count_vcf_alleles(vcf)
        alleles = shard_range(shard, total, warn, "ALT alleles", CASES_PER_CHUNK)
    genome = Reference(reference)
    try:
        _check_assembly(vcf, genome, reference)
    except InputError:
        genome.close()
        raise
    return VariantInput(vcf_cases(vcf_file, genome, window, alleles), shard_total(shard, total, CASES_PER_CHUNK),
                        VCF_COLUMNS,
                        {"window": window, "input": Path(vcf).name, "reference": Path(reference).name,
                         **shard_parameters(shard, total)}, vcf_file, genome)


def _check_assembly(vcf, genome: Reference, reference) -> None:
    """Refuses a VCF none of whose chromosomes the reference has (another assembly's naming), before any work and
    for the whole file, so a shard of it answers as the whole run does. Reads only until a known name."""
    seen = False
    for chrom in vcf_chromosomes(vcf):
        if genome.resolve(chrom):
            return
        seen = True
    if seen:
        raise InputError(
            f"none of the VCF's chromosomes are in the reference ({Path(reference).name} has "
            f"{', '.join(list(genome.lengths)[:5])}…); check that both use the same assembly")


def _paired_input(ref_fasta, alt_fasta, pair_by: str, max_differences: int | None,
                  warn: Callable[[str], None], shard: Shard | None) -> VariantInput:
    if ref_fasta is None or alt_fasta is None:
        raise InputError("paired mode needs both --ref-fasta and --alt-fasta")
    max_differences = DEFAULT_MAX_DIFFERENCES if max_differences is None else max_differences
    if max_differences < 1:
        raise InputError(f"--max-differences {max_differences}: must be at least 1")
    ref_count, alt_count = count_fasta_records(ref_fasta), count_fasta_records(alt_fasta)
    if pair_by == "order" and ref_count != alt_count:
        raise InputError(f"{ref_fasta} has {ref_count} records and {alt_fasta} has {alt_count}; "
                         "paired files must match one to one")
    cases = take_shard(pair_cases(ref_fasta, alt_fasta, pair_by, warn, max_differences), ref_count, shard, warn,
                       "pairs", CASES_PER_CHUNK)
    return VariantInput(cases, shard_total(shard, ref_count, CASES_PER_CHUNK), PAIR_COLUMNS,
                        {"pair_by": pair_by, "max_differences": max_differences,
                         "input": f"{Path(ref_fasta).name},{Path(alt_fasta).name}",
                         **shard_parameters(shard, ref_count)})


def pairs_input(pairs: list[tuple[SequenceRecord, SequenceRecord]],
                max_differences: int = DEFAULT_MAX_DIFFERENCES) -> VariantInput:
    """WT/mutant pairs held in memory (the server's requests), numbered from 1 and checked as paired FASTA."""
    if max_differences < 1:
        raise InputError(f"max_differences {max_differences}: must be at least 1")
    cases = [pair_case(number, ref, alt, max_differences) for number, (ref, alt) in enumerate(pairs, start=1)]
    return VariantInput(cases, len(cases), PAIR_COLUMNS, {"pair_by": "order", "max_differences": max_differences,
                                                          "input": "request"})


def open_variant_input(max_bp: int, warn: Callable[[str], None], *, ref_fasta=None, alt_fasta=None,
                       pair_by: str = "order", vcf=None, reference=None, window: int | None = None,
                       vcf_out=None, max_differences: int | None = None, shard: Shard | None = None) -> VariantInput:
    """Paired FASTA files or a VCF on a reference: the options are checked here, before any work. shard: only
    that part of the pairs or VCF ALT alleles (shards.py)."""
    vcf_mode = vcf is not None
    if vcf_mode == (ref_fasta is not None or alt_fasta is not None):
        raise InputError("give either --ref-fasta and --alt-fasta, or --vcf and --reference")
    if vcf_out and not vcf_mode:
        raise InputError("--vcf-out needs VCF input (--vcf and --reference)")
    if vcf_mode and max_differences is not None:
        raise InputError("--max-differences applies to paired FASTA input; a VCF's alleles are checked against "
                         "the reference instead")
    if vcf_mode:
        return _vcf_input(vcf, reference, window, max_bp, shard, warn)
    return _paired_input(ref_fasta, alt_fasta, pair_by, max_differences, warn, shard)
