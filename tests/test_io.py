"""File reading: FASTA/VCF variants of real life, and the errors that name the file and the record."""

import gzip

import pytest

from dnalens.errors import InputError
from dnalens.io.fasta import read_fasta
from dnalens.io.outputs import OutputSet
from dnalens.io.reference import Reference
from dnalens.io.vcf import read_vcf
from dnalens.sequence import normalise, reverse_complement


def test_fasta_plain_gzip_crlf_and_soft_masking(tmp_path):
    text = ">a desc\r\nacgtN\r\nRYAC\r\n>b\r\nTTTT\r\n"
    plain, packed = tmp_path / "x.fa", tmp_path / "x.fa.gz"
    plain.write_bytes(text.encode())
    packed.write_bytes(gzip.compress(text.encode()))
    for path in (plain, packed):
        records = list(read_fasta(path))
        assert [(r.id, r.sequence, r.description) for r in records] == [("a", "ACGTNNNAC", "desc"), ("b", "TTTT", "")]


def test_truncated_gzip_is_reported(tmp_path):
    data = gzip.compress((">a\n" + "ACGT" * 5000 + "\n").encode())
    path = tmp_path / "cut.fa.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt"):
        list(read_fasta(path))


def test_normalise_rejects_non_dna_with_a_hint():
    with pytest.raises(InputError, match="RNA"):
        normalise("ACGU", "r1")
    with pytest.raises(InputError, match="protein"):
        normalise("MKVLLE", "p1")
    assert normalise("acgtrykm", "x") == "ACGTNNNN"


def test_reverse_complement():
    assert reverse_complement("AACGTN") == "NACGTT"


def test_vcf_header_is_required(tmp_path):
    path = tmp_path / "v.vcf"
    path.write_text("1\t10\t.\tA\tG\n")
    with pytest.raises(InputError, match="header"):
        read_vcf(path)
    path.write_text("")
    with pytest.raises(InputError, match="empty file"):
        read_vcf(path)


def test_vcf_bad_position_names_the_line(tmp_path):
    path = tmp_path / "v.vcf"
    path.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n1\tten\t.\tA\tG\n")
    with pytest.raises(InputError, match="line 3: POS 'ten'"):
        list(read_vcf(path).variants())


def test_reference_resolves_chr_prefixes(tmp_path):
    path = tmp_path / "g.fa"
    path.write_text(">1\nACGTACGTAC\n>chrM\nGGGG\n")
    reference = Reference(path)
    assert reference.resolve("chr1") == "1" and reference.resolve("MT") == "chrM" and reference.resolve("2") is None
    assert reference.fetch("1", 2, 6) == "GTAC"


def test_output_set_is_all_or_nothing(tmp_path):
    with OutputSet() as outputs:
        outputs.open_text(tmp_path / "a.tsv").write("done\n")
    assert (tmp_path / "a.tsv").read_text() == "done\n"
    with pytest.raises(RuntimeError), OutputSet() as outputs:
        outputs.open_text(tmp_path / "b.tsv").write("half")
        outputs.open_text(tmp_path / "c.tsv").write("half")
        raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tsv"]
