"""Issue 21, item 16: `--vcf-out NAME.vcf.gz` is BGZF (what tabix and bcftools read) with a tabix index.

BGZF is checked against the SAM specification (section 4.1) block by block, independently of the writer; the
index by answering region queries, with the real `tabix` where it is installed and with a reader here.
"""

import gzip
import random
import shutil
import struct
import subprocess
import zlib

import pytest

from conftest import TEST_DATA
from dnalens.io.bgzf import BgzfWriter, TabixIndexer
from dnalens.io.fasta import read_fasta
from dnalens.io.vcf import read_vcf

TINY = str(TEST_DATA / "tiny-model")
EOF_MARKER = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def bgzf_blocks(data: bytes) -> list[tuple[int, bytes]]:
    """(compressed offset, uncompressed content) of every block, each checked against the specification."""
    blocks, offset = [], 0
    while offset < len(data):
        id1, id2, method, flags = data[offset : offset + 4]
        assert (id1, id2, method, flags) == (31, 139, 8, 4), f"no BGZF block header at {offset}"
        extra_length = struct.unpack_from("<H", data, offset + 10)[0]
        extra = data[offset + 12 : offset + 12 + extra_length]
        assert extra[:4] == b"BC\x02\x00", "the BC extra subfield must come first"
        block_size = struct.unpack_from("<H", extra, 4)[0] + 1
        assert block_size <= 65536
        payload = data[offset + 12 + extra_length : offset + block_size - 8]
        crc, size = struct.unpack_from("<II", data, offset + block_size - 8)
        content = zlib.decompress(payload, -15)
        assert (zlib.crc32(content), len(content)) == (crc, size)
        blocks.append((offset, content))
        offset += block_size
    assert data.endswith(EOF_MARKER), "a BGZF file ends with the empty end-of-file block"
    return blocks


def absolute(blocks: list[tuple[int, bytes]], virtual_offset: int) -> int:
    """Offset in the uncompressed text of a virtual offset (block start << 16 | offset in that block)."""
    before = 0
    for start, content in blocks:
        if start == virtual_offset >> 16:
            return before + (virtual_offset & 0xFFFF)
        before += len(content)
    raise AssertionError(f"no block starts at {virtual_offset >> 16}")


def read_at(blocks: list[tuple[int, bytes]], virtual_offset: int) -> bytes:
    text = b"".join(content for _, content in blocks)
    return text[absolute(blocks, virtual_offset):].split(b"\n", 1)[0]


def test_bgzf_blocks_follow_the_specification_and_virtual_offsets_find_each_line(tmp_path):
    rng = random.Random(0)
    lines = [f"{i}\t{''.join(rng.choice('ACGT') for _ in range(rng.randint(1, 3000)))}".encode() for i in range(400)]
    path = tmp_path / "x.gz"
    with open(path, "wb") as handle:
        writer = BgzfWriter(handle)
        offsets = []
        for line in lines:
            offsets.append(writer.tell())
            writer.write(line + b"\n")
        writer.close()
    data = path.read_bytes()
    blocks = bgzf_blocks(data)
    assert len(blocks) > 5  # ~600 kB of text: many blocks, lines crossing block ends
    assert gzip.decompress(data) == b"".join(line + b"\n" for line in lines)
    for offset, line in zip(offsets, lines):
        assert read_at(blocks, offset) == line


def test_incompressible_data_still_fits_in_blocks(tmp_path):
    data = random.Random(1).randbytes(300_000)
    path = tmp_path / "noise.gz"
    with open(path, "wb") as handle:
        writer = BgzfWriter(handle)
        writer.write(data)
        writer.close()
    assert b"".join(content for _, content in bgzf_blocks(path.read_bytes())) == data


def tbi_chunks(index: bytes) -> dict[str, list[tuple[int, list[tuple[int, int]]]]]:
    """Per sequence name: (bin, chunks) as stored in a .tbi (SAM specification, section 5.2)."""
    assert index[:4] == b"TBI\x01"
    n_ref, fmt, col_seq, col_beg, col_end, meta, skip, names_length = struct.unpack_from("<8i", index, 4)
    assert (fmt, col_seq, col_beg, col_end, chr(meta), skip) == (2, 1, 2, 0, "#", 0)  # the VCF preset
    names = index[36 : 36 + names_length].split(b"\0")[:n_ref]
    offset, result = 36 + names_length, {}
    for name in names:
        n_bin = struct.unpack_from("<i", index, offset)[0]
        offset += 4
        bins = []
        for _ in range(n_bin):
            number, n_chunk = struct.unpack_from("<Ii", index, offset)
            offset += 8
            bins.append((number, [struct.unpack_from("<QQ", index, offset + 16 * i) for i in range(n_chunk)]))
            offset += 16 * n_chunk
        n_intv = struct.unpack_from("<i", index, offset)[0]
        offset += 4 + 8 * n_intv
        result[name.decode()] = bins
    return result


def bins_overlapping(begin: int, end: int) -> set[int]:
    """All bins that can hold a feature overlapping [begin, end) (the specification's reg2bins)."""
    end -= 1
    found = {0}
    for first, shift in ((1, 26), (9, 23), (73, 20), (585, 17), (4681, 14)):
        found.update(range(first + (begin >> shift), first + (end >> shift) + 1))
    return found


def query(blocks, index, chrom: str, begin: int, end: int) -> list[bytes]:
    """Lines whose record overlaps [begin, end), found through the index's bins and chunks only."""
    text = b"".join(content for _, content in blocks)
    lines = set()
    for number, chunks in tbi_chunks(index).get(chrom, []):
        if number not in bins_overlapping(begin, end):
            continue
        for start, stop in chunks:
            for line in text[absolute(blocks, start) : absolute(blocks, stop)].splitlines():
                fields = line.split(b"\t")
                position = int(fields[1]) - 1
                if position < end and position + len(fields[3]) > begin:
                    lines.add(line)
    return sorted(lines)


def write_indexed(path, records):
    indexer = TabixIndexer()
    with open(path, "wb") as handle:
        writer = BgzfWriter(handle)
        writer.write(b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for chrom, pos, ref in records:
            start = writer.tell()
            writer.write(f"{chrom}\t{pos}\tv{pos}\t{ref}\tG\t.\t.\t.\n".encode())
            indexer.add(chrom, pos - 1, pos - 1 + len(ref), start, writer.tell())
        writer.close()
    with open(f"{path}.tbi", "wb") as handle:
        indexer.write(handle)
    return indexer


REGIONS = [("1", 100_000, 200_000), ("2", 2_000_000, 2_000_300), ("X", 0, 3_000_000), ("1", 5, 6)]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    rng = random.Random(2)
    records = [(chrom, pos, rng.choice(["A", "AC", "A" * 300])) for chrom in ("1", "2", "X")
               for pos in sorted(rng.sample(range(1, 3_000_000), 3000))]
    path = tmp_path_factory.mktemp("tbi") / "many.vcf.gz"
    assert write_indexed(path, records).sorted
    return path, records


def expected_lines(records, chrom, begin, end):
    return sorted(f"{c}\t{p}\tv{p}\t{r}\tG\t.\t.\t.".encode() for c, p, r in records
                  if c == chrom and p - 1 < end and p - 1 + len(r) > begin)


@pytest.mark.parametrize(("chrom", "begin", "end"), REGIONS)
def test_the_tabix_index_finds_exactly_the_records_of_a_region(indexed, chrom, begin, end):
    path, records = indexed
    blocks = bgzf_blocks(path.read_bytes())
    index = b"".join(content for _, content in bgzf_blocks(path.with_name(path.name + ".tbi").read_bytes()))
    assert query(blocks, index, chrom, begin, end) == expected_lines(records, chrom, begin, end)


@pytest.mark.skipif(shutil.which("tabix") is None, reason="htslib's tabix is not installed")
@pytest.mark.parametrize(("chrom", "begin", "end"), REGIONS)
def test_htslib_tabix_answers_queries_with_our_index(indexed, chrom, begin, end):
    path, records = indexed
    answer = subprocess.run(["tabix", str(path), f"{chrom}:{begin + 1}-{end}"], capture_output=True, check=True)
    assert sorted(answer.stdout.splitlines()) == expected_lines(records, chrom, begin, end)


def test_records_out_of_order_cannot_be_indexed():
    indexer = TabixIndexer()
    indexer.add("1", 100, 101, 10, 20)
    indexer.add("2", 5, 6, 20, 30)
    indexer.add("1", 200, 201, 30, 40)  # chromosome 1 again, after 2
    assert not indexer.sorted and "more than one run" in indexer.problem
    indexer = TabixIndexer()
    indexer.add("1", 100, 101, 10, 20)
    indexer.add("1", 50, 51, 20, 30)
    assert not indexer.sorted and "1:51 comes after 1:101" in indexer.problem


def sorted_vcf(tmp_path) -> tuple:
    """SNVs every 97 bp along the chr20 excerpt, REF from the genome, ALT the next base: sorted."""
    genome = next(read_fasta(TEST_DATA / "chr20_excerpt.fa")).sequence
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=20,length=6000>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1"]
    for pos in range(150, 5850, 97):
        ref = genome[pos - 1]
        alt = "ACGT"[("ACGT".index(ref) + 1) % 4] if ref in "ACGT" else "A"
        lines.append(f"20\t{pos}\tv{pos}\t{ref}\t{alt}\t50\tPASS\tDP=7\tGT\t0/1")
    path = tmp_path / "sorted.vcf"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_vcf_out_gz_is_bgzf_with_an_index_and_the_same_records_as_plain_text(run_cli, tmp_path):
    vcf = sorted_vcf(tmp_path)
    common = ["variants", "--vcf", vcf, "--reference", TEST_DATA / "chr20_excerpt.fa", "--model", TINY,
              "--window", "51", "--scores", "l2,llr"]
    assert run_cli(*common, "-o", tmp_path / "plain.tsv", "--vcf-out", tmp_path / "plain.vcf").code == 0
    result = run_cli(*common, "-o", tmp_path / "out.tsv", "--vcf-out", tmp_path / "out.vcf.gz")
    assert result.code == 0, result.err
    data = (tmp_path / "out.vcf.gz").read_bytes()
    blocks = bgzf_blocks(data)
    text = gzip.decompress(data).decode()
    assert text == (tmp_path / "plain.vcf").read_text()
    records = list(read_vcf(tmp_path / "out.vcf.gz").variants())
    assert len(records) == len(list(read_vcf(vcf).variants())) == 59
    assert all("DNALENS_STATUS=ok" in r.fields[7] and "DNALENS_LLR=" in r.fields[7] for r in records)
    index = b"".join(c for _, c in bgzf_blocks((tmp_path / "out.vcf.gz.tbi").read_bytes()))
    found = query(blocks, index, "20", 1000, 2000)
    assert [int(line.split(b"\t")[1]) for line in found] == [p for p in range(150, 5850, 97) if 1000 < p <= 2000]
    if shutil.which("tabix"):
        answer = subprocess.run(["tabix", str(tmp_path / "out.vcf.gz"), "20:1001-2000"], capture_output=True,
                                check=True)
        assert sorted(answer.stdout.splitlines()) == found


def test_an_unsorted_vcf_gets_bgzf_without_an_index_and_a_warning(run_cli, tmp_path):
    result = run_cli("variants", "--vcf", TEST_DATA / "variants.vcf", "--reference", TEST_DATA / "chr20_excerpt.fa",
                     "--model", TINY, "--window", "51", "-o", tmp_path / "out.tsv", "--vcf-out",
                     tmp_path / "out.vcf.gz")
    assert result.code == 0, result.err
    bgzf_blocks((tmp_path / "out.vcf.gz").read_bytes())
    assert not (tmp_path / "out.vcf.gz.tbi").exists()
    assert "no tabix index written: the VCF is not sorted" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv", "out.vcf.gz"]
