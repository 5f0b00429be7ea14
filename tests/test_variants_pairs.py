"""Inputs that are not variants of each other are never scored: mismatched pairs, REF alleles that leave no context."""

import pytest

from conftest import TEST_DATA, random_dna
from dnalens.errors import InputError
from dnalens.io.tables import read_table
from dnalens.jobs.variants import score_variants
from dnalens.ops.variant_inputs import count_differences


def _chr20() -> str:
    return "".join((TEST_DATA / "chr20_excerpt.fa").read_text().split("\n")[1:])


@pytest.mark.parametrize(("ref_part", "alt_part", "expected"), [
    ("A", "G", 1),  # SNV
    ("ACG", "TCA", 2),  # substitutions at the two ends of a 3-bp segment (the middle one is shared)
    ("ACT", "", 3),  # 3-bp deletion
    ("", "GATTACA", 7),  # 7-bp insertion
    ("ACGT", "G", 4),  # complex: a deletion with a substitution, counted by the longer segment
])
def test_count_differences(ref_part, alt_part, expected):
    assert count_differences(ref_part, alt_part) == expected


def test_exon_references_with_intron_mutants_stop_the_run(run_cli, tmp_path):
    out = tmp_path / "scores.tsv"
    result = run_cli("variants", "--model", TEST_DATA / "tiny-model", "--ref-fasta", TEST_DATA / "exon_ref.fa",
                     "--alt-fasta", TEST_DATA / "intron_alt.fa", "-o", out)
    errors = [line for line in result.err.splitlines() if line.startswith("dnalens: error:")]
    assert result.code == 1
    assert len(errors) == 1 and errors[0].startswith("dnalens: error: the files do not correspond: 25 of 25 pairs")
    assert "Traceback" not in result.err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_minority_of_mismatched_pairs_is_reported_and_not_scored(loaded, write_fasta, tmp_path):
    records = [random_dna(50, seed=seed) for seed in (51, 52, 53)]
    refs = {f"p{i}": seq for i, seq in enumerate(records)}
    alts = {"p0": records[0][:20] + ("A" if records[0][20] != "A" else "C") + records[0][21:],
            "p1": random_dna(50, seed=99),  # unrelated to its reference
            "p2": records[2][:10] + records[2][13:]}  # a 3-bp deletion
    warnings = []
    from dnalens.context import RunContext

    out = tmp_path / "s.tsv"
    result = score_variants(loaded("masked_nucleotide"), out, ref_fasta=write_fasta(refs, "r.fa"),
                            alt_fasta=write_fasta(alts, "a.fa"), context=RunContext(warn=warnings.append))
    rows = {row["id"]: row for row in read_table(out)[1]}
    assert rows["p0"]["status"] == rows["p2"]["status"] == "ok"
    assert rows["p1"]["status"].startswith("mismatched_pair(") and rows["p1"]["status"].endswith(">10)")
    assert rows["p1"]["l2"] == rows["p1"]["cosine"] == rows["p1"]["llr"] == ""
    assert result.skipped == {"mismatched_pair": 1}
    assert any("1 of 3 pairs differ in more places than --max-differences 10" in w for w in warnings)


def test_max_differences_sets_the_limit(loaded, write_fasta, tmp_path):
    ref = random_dna(40, seed=54)
    flipped = "".join("A" if b != "A" else "C" for b in ref[15:18])
    alt = ref[:15] + flipped + ref[18:]  # three adjacent substitutions
    files = {"ref_fasta": write_fasta({"m": ref}, "r.fa"), "alt_fasta": write_fasta({"m": alt}, "a.fa")}
    out = tmp_path / "s.tsv"
    score_variants(loaded("masked_nucleotide"), out, max_differences=3, **files)
    assert read_table(out)[1][0]["status"] == "ok"
    with pytest.raises(InputError, match=r"do not correspond: 1 of 1 pairs.*mismatched_pair\(3 differences>2\)"):
        score_variants(loaded("masked_nucleotide"), out, max_differences=2, **files)
    with pytest.raises(InputError, match="--max-differences 0: must be at least 1"):
        score_variants(loaded("masked_nucleotide"), out, max_differences=0, **files)
    with pytest.raises(InputError, match="--max-differences applies to paired FASTA input"):
        score_variants(loaded("masked_nucleotide"), out, vcf=TEST_DATA / "variants.vcf",
                       reference=TEST_DATA / "chr20_excerpt.fa", max_differences=3)


def test_ref_allele_longer_than_half_the_window_is_not_scored(loaded, tmp_path):
    genome = _chr20()
    vcf = tmp_path / "long.vcf"
    records = []
    for name, pos, length in (("longer_than_window", 2000, 150), ("over_half", 3000, 60), ("half", 4000, 50)):
        ref = genome[pos - 1 : pos - 1 + length]
        records.append(f"20\t{pos}\t{name}\t{ref}\t{ref[0]}\n")
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n" + "".join(records))
    out = tmp_path / "s.tsv"
    result = score_variants(loaded("masked_nucleotide"), out, vcf=vcf, reference=TEST_DATA / "chr20_excerpt.fa",
                            window=101)
    rows = {row["id"]: row for row in read_table(out)[1]}
    assert rows["longer_than_window"]["status"] == "ref_longer_than_half_window(REF 150bp > 101bp/2)"
    assert rows["over_half"]["status"] == "ref_longer_than_half_window(REF 60bp > 101bp/2)"
    for name in ("longer_than_window", "over_half"):
        assert rows[name]["l2"] == rows[name]["cosine"] == rows[name]["llr"] == ""
    assert rows["half"]["status"] == "ok" and float(rows["half"]["l2"]) > 0
    assert result.skipped == {"ref_longer_than_half_window": 2}
