"""dnalens mutagenesis: every substitution of a region, equal to scoring each SNV through variants."""

import math

import pytest

from conftest import TEST_DATA, random_dna
from dnalens.io.tables import read_table

REFERENCE = TEST_DATA / "chr20_excerpt.fa"


def _reference_bases() -> str:
    return "".join(line.strip() for line in REFERENCE.read_text().splitlines()[1:])


def _vcf_of_every_substitution(path, chrom: str, first: int, last: int, bases: str) -> None:
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for position in range(first, last + 1):
        ref = bases[position - 1]
        lines += [f"{chrom}\t{position}\t.\t{ref}\t{alt}\t.\t.\t." for alt in "ACGT" if alt != ref]
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("family", ["masked_nucleotide", "masked_kmer", "causal_moe"])
def test_every_substitution_equals_the_variants_llr_of_that_snv(loaded, tmp_path, family):
    from dnalens.jobs.mutagenesis import mutagenesis
    from dnalens.jobs.variants import score_variants

    model = loaded(family)
    window = min(41, model.max_bp)
    bases = _reference_bases()
    # A region that starts near the chromosome's start: windows shifted inwards there too.
    first, last = 3, 14
    result = mutagenesis(model, tmp_path / "m.tsv", reference=REFERENCE, region=f"20:{first}-{last}",
                         window=window)
    assert result.positions == last - first + 1 and result.substitutions == 3 * result.positions
    _, rows = read_table(tmp_path / "m.tsv")
    vcf = tmp_path / "all.vcf"
    _vcf_of_every_substitution(vcf, "20", first, last, bases)
    score_variants(model, tmp_path / "v.tsv", vcf=vcf, reference=REFERENCE, window=window, scores="llr")
    _, expected = read_table(tmp_path / "v.tsv")
    assert [(r["position"], r["ref"], r["alt"]) for r in rows] == [(e["pos"], e["ref"], e["alt"]) for e in expected]
    for row, variant in zip(rows, expected):
        assert variant["status"] == "ok"
        assert float(row["llr"]) == pytest.approx(float(variant["llr"]), abs=2e-4)
    # p_ref is the reference base's probability normalised over the four bases, so with the three llrs it must
    # give probabilities that sum to 1 (a p_ref from another normalisation, or llrs of another window, would not).
    for i in range(0, len(rows), 3):
        group = rows[i : i + 3]
        p_ref = float(group[0]["p_ref"])
        total = p_ref * (1 + sum(math.exp(float(r["llr"])) for r in group))
        assert total == pytest.approx(1.0, abs=1e-4)


def test_bedgraph_is_zero_based_half_open_on_the_reference_base(loaded, tmp_path):
    from dnalens.jobs.mutagenesis import mutagenesis

    bases = _reference_bases()
    mutagenesis(loaded("masked_nucleotide"), tmp_path / "m.tsv", reference=REFERENCE, region="chr20:1001-1010",
                bedgraph=tmp_path / "m.bedgraph", heatmap=tmp_path / "m.png")
    lines = [line.split("\t") for line in (tmp_path / "m.bedgraph").read_text().splitlines()
             if not line.startswith(("#", "track"))]
    _, rows = read_table(tmp_path / "m.tsv")
    p_ref = {int(r["position"]): (r["ref"], float(r["p_ref"])) for r in rows}
    assert [int(start) for _, start, _, _ in lines] == list(range(1000, 1010))
    for chrom, start, end, value in lines:
        position = int(end)  # 1-based position of the half-open interval [start, end)
        assert chrom == "20" and int(start) == position - 1  # the reference's own name, not the 'chr' alias
        ref, probability = p_ref[position]
        assert ref == bases[position - 1]  # the base at that coordinate of the genome
        assert float(value) == pytest.approx(math.log(probability), abs=1e-4)
    assert (tmp_path / "m.png").stat().st_size > 10_000


def test_fasta_input_with_a_range_and_n_bases(loaded, write_fasta, tmp_path):
    from dnalens.context import RunContext
    from dnalens.jobs.mutagenesis import mutagenesis

    warnings: list[str] = []
    sequence = random_dna(60, seed=5)
    fasta = write_fasta({"a": sequence, "b": sequence[:20] + "N" + sequence[21:]})
    result = mutagenesis(loaded("masked_nucleotide"), tmp_path / "m.tsv", fasta=fasta, span="11-30",
                         context=RunContext(quiet=True, warn=warnings.append))
    _, rows = read_table(tmp_path / "m.tsv")
    assert result.positions == 39 and result.substitutions == 3 * 39  # position 21 of 'b' is N
    assert {r["id"] for r in rows} == {"a", "b"}
    assert [int(r["position"]) for r in rows if r["id"] == "a"][::3] == list(range(11, 31))
    assert all(r["ref"] == sequence[int(r["position"]) - 1] for r in rows)
    assert warnings == ["1 position(s) are N (no reference base): no substitutions scored there"]


@pytest.mark.parametrize(("arguments", "message"), [
    (["--region", "20:1-10"], "either --reference and --region"),
    (["--reference", str(REFERENCE), "--region", "20:10-5"], "END at least START"),
    (["--reference", str(REFERENCE), "--region", "20-1-5"], "expected CHROM:START-END"),
    (["--reference", str(REFERENCE), "--region", "20:5990-6010"], "20 has 6,000 bp"),
    (["--reference", str(REFERENCE), "--region", "chr7:1-10"], "no sequence 'chr7'"),
    ([str(TEST_DATA / "sequences.fa"), "--range", "1-100000"], "goes beyond"),
])
def test_bad_regions_get_one_line_and_no_output(run_cli, tmp_path, arguments, message):
    out = tmp_path / "m.tsv"
    result = run_cli("mutagenesis", *arguments, "-o", out, "--model", TEST_DATA / "tiny-model")
    assert result.code == 1
    assert message in result.err and len(result.err.strip().splitlines()) == 1
    assert not out.exists()


def test_chunks_and_the_chromosome_end_change_nothing(loaded, tmp_path, monkeypatch):
    """Chunks of 4 positions give the rows of one chunk, and windows at the chromosome's end shift inwards as
    variants' do (its last 12 positions, equal to the VCF llr)."""
    import dnalens.ops.mutagenesis as operation
    from dnalens.jobs.mutagenesis import mutagenesis
    from dnalens.jobs.variants import score_variants

    model = loaded("masked_nucleotide")
    region = "20:5989-6000"  # the excerpt's last 12 bases
    mutagenesis(model, tmp_path / "whole.tsv", reference=REFERENCE, region=region, window=41)
    monkeypatch.setattr(operation, "POSITIONS_PER_CHUNK", 4)
    mutagenesis(model, tmp_path / "chunked.tsv", reference=REFERENCE, region=region, window=41)
    whole, chunked = read_table(tmp_path / "whole.tsv")[1], read_table(tmp_path / "chunked.tsv")[1]
    assert [float(r["llr"]) for r in chunked] == pytest.approx([float(r["llr"]) for r in whole], abs=1e-5)
    vcf = tmp_path / "end.vcf"
    _vcf_of_every_substitution(vcf, "20", 5989, 6000, _reference_bases())
    score_variants(model, tmp_path / "v.tsv", vcf=vcf, reference=REFERENCE, window=41, scores="llr")
    expected = read_table(tmp_path / "v.tsv")[1]
    assert [float(r["llr"]) for r in whole] == pytest.approx([float(e["llr"]) for e in expected], abs=2e-4)


def test_a_model_without_a_language_model_head_and_a_late_short_record_are_refused_up_front(loaded, write_fasta,
                                                                                            tmp_path):
    from dnalens.errors import DNALensError
    from dnalens.jobs.mutagenesis import mutagenesis

    with pytest.raises(DNALensError, match="mutagenesis"):
        mutagenesis(loaded("base_no_head"), tmp_path / "m.tsv", reference=REFERENCE, region="20:1-10")
    fasta = write_fasta({"long": random_dna(80, seed=1), "short": random_dna(20, seed=2)})
    with pytest.raises(DNALensError, match="record 'short'"):
        mutagenesis(loaded("masked_nucleotide"), tmp_path / "m.tsv", fasta=fasta, span="11-40")
    assert not (tmp_path / "m.tsv").exists()
