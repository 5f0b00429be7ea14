"""Make the project's own test-data from human chr20 (GRCh37, Debian vt-examples, MIT licence).

    python scripts/make_test_data.py            # needs: apt-get install vt-examples subread-data

Deterministic (fixed seed): rerunning gives the same files. The SNVs are synthetic (a random other base at
a chosen site), not observed human variants; exon/intron sites are chosen with RefSeq hg19 exon coordinates.
"""

from __future__ import annotations

import gzip
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

from dnalens_training.genome import read_chromosome  # noqa: E402

CHR20 = Path("/usr/share/doc/vt/examples/ref/20.fa.gz")
EXONS = Path("/usr/share/doc/subread/examples/annotation/hg19_RefSeq_exon.txt.gz")
OUT = ROOT / "test-data"
LETTERS = "ACGTN"
EXCERPT_START = 30_000_000  # 0-based start of the reference excerpt on chr20
EXCERPT_LENGTH = 6_000
PROM_CORE = ROOT.parent / "shared" / "data" / "prom_core" / "prom_core_dev_v2020-12.tsv"


def text(codes) -> str:
    return "".join(LETTERS[c] for c in codes)


def write_fasta(path: Path, records: list[tuple[str, str]], width: int = 60) -> None:
    with open(path, "w") as handle:
        for name, sequence in records:
            handle.write(f">{name}\n")
            for start in range(0, len(sequence), width):
                handle.write(sequence[start : start + width] + "\n")


def exon_and_intron_sites(chromosome: str, seed: int, count: int, length: int) -> tuple[list[int], list[int]]:
    exons = defaultdict(list)
    with gzip.open(EXONS, "rt") as handle:
        next(handle)
        for line in handle:
            gene, chrom, start, end, _ = line.split("\t")
            if chrom == chromosome:
                exons[gene].append((int(start) - 1, int(end)))
    in_exon, genes = set(), []
    for intervals in exons.values():
        genes.append((min(s for s, _ in intervals), max(e for _, e in intervals)))
        for start, end in intervals:
            if end - start >= 30:
                in_exon.update(range(start + 5, end - 5))
    near_exon = set()
    for intervals in exons.values():
        for start, end in intervals:
            near_exon.update(range(start - 300, end + 300))
    rng = random.Random(seed)
    exon_sites = sorted(rng.sample(sorted(in_exon), count))
    introns = []
    while len(introns) < count:
        start, end = rng.choice(genes)
        if end - start < 2000:
            continue
        site = rng.randrange(start, end)
        if site not in near_exon and site - length > 0:
            introns.append(site)
    return exon_sites, sorted(introns)


def snv_pairs(codes, sites: list[int], rng: random.Random, prefix: str, half: int = 100):
    refs, alts = [], []
    for site in sites:
        window = text(codes[site - half : site + half + 1])
        if "N" in window:
            continue
        alt = rng.choice([b for b in "ACGT" if b != window[half]])
        name = f"{prefix}_chr20_{site + 1}_{window[half]}_{alt}"
        refs.append((name, window))
        alts.append((name, window[:half] + alt + window[half + 1 :]))
    return refs, alts


def write_learning_sets(codes, rng: random.Random) -> None:
    """Small labelled sets for `classify` and `regress`.

    prom_core_subset.tsv: 100 promoters and 100 non-promoters (70 bp) from DNABERT's prom-core set (Apache-2.0,
    see ATTRIBUTION.md), and prom_core_heldout.fa: 10 others, for prediction. isochore_gc.tsv: 200 bp windows of
    chr20 labelled with the GC fraction of the 20 kb around them, a real regional property (isochores) that a
    200 bp window only partly reveals; DNALens ships no expression data, so this stands in for regression.
    """
    if PROM_CORE.exists():
        lines = PROM_CORE.read_text().splitlines()[1:]
        by_label = {label: [line for line in lines if line.endswith("\t" + label)] for label in ("0", "1")}
        chosen = {label: rng.sample(rows, 105) for label, rows in by_label.items()}
        rows = [row for label in ("1", "0") for row in chosen[label][:100]]
        (OUT / "prom_core_subset.tsv").write_text("sequence\tlabel\n" + "".join(row + "\n" for row in rows))
        heldout = [(f"{'promoter' if label == '1' else 'other'}_{i}", row.split("\t")[0])
                   for label in ("1", "0") for i, row in enumerate(chosen[label][100:], start=1)]
        write_fasta(OUT / "prom_core_heldout.fa", heldout)
    else:
        print(f"{PROM_CORE} not found: keeping the committed prom_core files")
    windows = []
    while len(windows) < 150:
        centre = rng.randrange(1_000_000, 62_000_000)
        region = text(codes[centre - 10_000 : centre + 10_000])
        if region.count("N") > 500:
            continue
        gc = sum(region.count(b) for b in "GC") / (len(region) - region.count("N"))
        windows.append((text(codes[centre - 100 : centre + 100]), gc))
    (OUT / "isochore_gc.tsv").write_text("sequence\tlabel\n" + "".join(f"{seq}\t{gc:.4f}\n" for seq, gc in windows))


def main() -> None:
    OUT.mkdir(exist_ok=True)
    codes = read_chromosome(CHR20)
    rng = random.Random(2026)

    exon_sites, intron_sites = exon_and_intron_sites("chr20", seed=1, count=30, length=201)
    mutants = {}
    for group, sites in (("exon", exon_sites), ("intron", intron_sites)):
        refs, alts = snv_pairs(codes, sites, rng, group)
        write_fasta(OUT / f"{group}_ref.fa", refs[:25])
        write_fasta(OUT / f"{group}_alt.fa", alts[:25])
        mutants[group] = alts[:25]
    # Exon mutants with records 5 and 20 from the intron file: two pairs that do not correspond (a warning).
    write_fasta(OUT / "exon_alt_two_unrelated.fa",
                [mutants["intron" if number in (5, 20) else "exon"][number - 1] for number in range(1, 26)])

    # Sequences of mixed lengths, one soft-masked (lower case) and one with an N run.
    sequences, labels = [], []
    for index in range(12):
        length = [60, 201, 350, 700][index % 4]
        start = 31_000_000 + index * 7919
        sequence = text(codes[start : start + length])
        if index == 3:
            sequence = sequence[:100].lower() + sequence[100:]
        if index == 5:
            sequence = sequence[:50] + "N" * 10 + sequence[60:]
        name = f"chr20_{start + 1}_{start + length}"
        sequences.append((name, sequence))
        labels.append((name, "short" if length <= 201 else "long"))
    write_fasta(OUT / "sequences.fa", sequences)
    (OUT / "sequence_labels.tsv").write_text("id\tlabel\n" + "".join(f"{a}\t{b}\n" for a, b in labels))

    # A 6 kb reference excerpt (record '20') and a VCF on it, covering the cases a VCF reader must handle.
    excerpt = text(codes[EXCERPT_START : EXCERPT_START + EXCERPT_LENGTH])
    write_fasta(OUT / "chr20_excerpt.fa", [("20", excerpt)])
    base = lambda pos: excerpt[pos - 1]  # noqa: E731 - 1-based base of the excerpt
    other = lambda b: {"A": "G", "C": "T", "G": "A", "T": "C"}[b]  # noqa: E731
    records = [
        ("20", 1500, "snv_ok", base(1500), other(base(1500))),
        ("chr20", 2500, "snv_chr_prefix", base(2500), other(base(2500))),
        ("20", 3000, "multi_allelic", base(3000), ",".join(b for b in "ACGT" if b != base(3000))[:3]),
        ("20", 3500, "ref_mismatch", other(base(3500)), base(3500)),
        ("20", 4000, "deletion", excerpt[3999:4002], base(4000)),
        ("20", 4500, "insertion", base(4500), base(4500) + "GATTACA"),
        ("20", 5000, "symbolic", base(5000), "<DEL>"),
        ("20", 3, "near_start", base(3), other(base(3))),
        ("20", 5990, "near_end", base(5990), other(base(5990))),
        ("7", 1000, "other_chromosome", "A", "G"),
    ]
    with open(OUT / "variants.vcf", "w") as handle:
        handle.write("##fileformat=VCFv4.2\n##source=dnalens test-data (synthetic variants)\n")
        handle.write(f"##contig=<ID=20,length={EXCERPT_LENGTH}>\n")
        handle.write('##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">\n')
        handle.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for chrom, pos, name, ref, alt in records:
            handle.write(f"{chrom}\t{pos}\t{name}\t{ref}\t{alt}\t50\tPASS\tDP=30\n")
    write_learning_sets(codes, random.Random(8))
    # A tiny masked model (a few training steps on the excerpt): for Galaxy and GUI tests, about 100 kB.
    from dnalens_training.recipe import RECIPES
    from dnalens_training.train import train

    write_fasta(OUT / ".train_slice.fa", [("20", text(codes[EXCERPT_START : EXCERPT_START + 200_000]))])
    train(RECIPES["tiny"], OUT / "tiny-model", OUT / ".train_slice.fa", "cpu", log=lambda _: None)
    (OUT / ".train_slice.fa").unlink()
    (OUT / "tiny-model" / "training_metrics.json").unlink()
    # Fitted learners on the tiny model's embeddings, for the Galaxy predict tests.
    from dnalens.jobs.learn import train_to_files as fit
    from dnalens.learn import read_labelled
    from dnalens.model import load_model

    tiny = load_model(str(OUT / "tiny-model"))
    fit(tiny, read_labelled(OUT / "prom_core_subset.tsv"), OUT / "prom_core_classifier.json",
        task="classification", kind="logistic")
    fit(tiny, read_labelled(OUT / "isochore_gc.tsv"), OUT / "isochore_regressor.json", task="regression",
        kind="ridge")
    print(f"wrote test data to {OUT}")


if __name__ == "__main__":
    main()
