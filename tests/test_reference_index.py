"""Reference indexes: a stale or planted .fai never shifts the windows; the cache is private to the user."""

import os
import shutil

import pytest

from conftest import TEST_DATA
from dnalens.errors import InputError
from dnalens.io.fasta_index import IndexMismatch, check_fai, private_cache_dir
from dnalens.io.reference import Reference, _fingerprint

CHR20 = (TEST_DATA / "chr20_excerpt.fa").read_text().split("\n", 1)[1].replace("\n", "")


def _write_genome(folder, width: int = 60):
    """Two records; the second's offsets move when the first changes length."""
    first, second = CHR20[:3000], CHR20[3000:]
    path = folder / "genome.fa"
    lines = [">chrA"] + [first[i:i + width] for i in range(0, len(first), width)]
    lines += [">chrB"] + [second[i:i + width] for i in range(0, len(second), width)]
    path.write_text("\n".join(lines) + "\n")
    return path, first, second


def _true_fai(path, records, width: int = 60) -> str:
    text, rows, offset = path.read_text(), [], 0
    for name, sequence in records:
        offset = text.index(f">{name}\n") + len(name) + 2
        rows.append(f"{name}\t{len(sequence)}\t{offset}\t{width}\t{width + 1}")
    return "\n".join(rows) + "\n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DNALENS_CACHE", str(folder))
    return folder


def test_a_matching_index_beside_the_genome_is_used(tmp_path, cache):
    path, first, second = _write_genome(tmp_path)
    (tmp_path / "genome.fa.fai").write_text(_true_fai(path, [("chrA", first), ("chrB", second)]))
    reference = Reference(path)
    assert reference._indexed is not None
    assert reference.fetch("chrB", 100, 160) == second[100:160] and reference.lengths["chrA"] == len(first)
    reference.close()


def test_a_stale_index_beside_the_genome_is_refused(tmp_path, cache):
    old, first, second = _write_genome(tmp_path)
    (tmp_path / "genome.fa.fai").write_text(_true_fai(old, [("chrA", first), ("chrB", second)]))
    # The genome is edited (the first record loses 7 bases) but its index is not rebuilt.
    old.write_text(old.read_text().replace(first[:60], first[7:60], 1))
    with pytest.raises(InputError, match="does not match"):
        Reference(old)


def test_an_index_with_another_line_width_is_caught(tmp_path):
    path, first, second = _write_genome(tmp_path, width=60)
    (tmp_path / "genome.fa.fai").write_text(_true_fai(path, [("chrA", first), ("chrB", second)], width=50))
    with pytest.raises(IndexMismatch):
        check_fai(path, tmp_path / "genome.fa.fai")


def test_a_planted_cache_entry_is_ignored_and_rebuilt(tmp_path, cache):
    path, first, second = _write_genome(tmp_path)
    cache.mkdir(mode=0o700)
    planted = cache / f"{_fingerprint(path)}.fai"
    # A well-formed entry that shifts chrB by one line: the REF check alone would pass about a quarter of SNVs.
    good = _true_fai(path, [("chrA", first), ("chrB", second)])
    offset = good.splitlines()[1].split("\t")[2]
    planted.write_text(good.replace(f"\t{offset}\t", f"\t{int(offset) + 61}\t"))
    reference = Reference(path)
    assert reference.fetch("chrB", 0, 60) == second[:60]
    reference.close()


def test_variants_are_scored_from_the_right_sequence_despite_a_planted_index(run_cli, tmp_path, cache):
    genome = tmp_path / "chr20.fa"
    shutil.copy(TEST_DATA / "chr20_excerpt.fa", genome)
    cache.mkdir(mode=0o700)
    (cache / f"{_fingerprint(genome)}.fai").write_text(f"20\t{len(CHR20)}\t{4 + 120}\t60\t61\n")
    out = tmp_path / "v.tsv"
    assert run_cli("variants", "--vcf", TEST_DATA / "variants.vcf", "--reference", genome, "-o", out,
                   "--model", TEST_DATA / "tiny-model", "--quiet").code == 0
    clean = tmp_path / "clean.tsv"
    assert run_cli("variants", "--vcf", TEST_DATA / "variants.vcf", "--reference", TEST_DATA / "chr20_excerpt.fa",
                   "-o", clean, "--model", TEST_DATA / "tiny-model", "--quiet").code == 0

    def rows(p):
        return [line for line in p.read_text().splitlines() if not line.startswith("#")]

    assert rows(out) == rows(clean)


def test_a_shared_or_foreign_cache_folder_is_refused(tmp_path, monkeypatch):
    shared = tmp_path / "shared-cache"
    shared.mkdir()
    os.chmod(shared, 0o777)
    monkeypatch.setenv("DNALENS_CACHE", str(shared))
    with pytest.raises(InputError, match="not private"):
        private_cache_dir()
    if os.getuid() == 0:  # root can give the folder away and show that another user's folder is refused
        os.chmod(shared, 0o700)
        os.chown(shared, 65534, 65534)
        with pytest.raises(InputError, match="not private"):
            private_cache_dir()


def test_the_default_cache_is_per_user_and_private(monkeypatch, tmp_path):
    monkeypatch.delenv("DNALENS_CACHE", raising=False)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    folder = private_cache_dir()
    assert folder.name == f"dnalens-cache-{os.getuid()}" and (folder.stat().st_mode & 0o777) == 0o700


def test_every_record_is_checked_and_long_headers_are_fine(tmp_path, cache):
    records = [(f"contig{i}", CHR20[i * 10:i * 10 + 70]) for i in range(300)]
    records[0] = ("contig0 " + "x" * 10_000, records[0][1])  # a 10 kb description line
    path = tmp_path / "assembly.fa"
    path.write_text("".join(f">{name}\n{seq[:60]}\n{seq[60:]}\n" for name, seq in records))
    fai = tmp_path / "assembly.fa.fai"
    rows = []
    text = path.read_text()
    for name, seq in records:
        short = name.split()[0]
        offset = text.index(f">{name}\n") + len(name) + 2
        rows.append(f"{short}\t{len(seq)}\t{offset}\t60\t61")
    fai.write_text("\n".join(rows) + "\n")
    check_fai(path, fai)  # valid, despite the 10 kb header
    rows[150] = rows[150].replace("\t70\t", "\t71\t")  # one contig, stale
    fai.write_text("\n".join(rows) + "\n")
    with pytest.raises(IndexMismatch, match="contig150"):
        check_fai(path, fai)
