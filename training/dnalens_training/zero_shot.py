"""Zero-shot exon vs intron SNP effects on the GTN SNP set, with the correct independent-group tests.

    python -m dnalens_training.zero_shot --model default --out build/zero_shot.json --plots docs/img

Pairs ref/alt records by order (the files' headers disagree), as the tutorial does, for the first 100
pairs and for all 10,000 of each group.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

from dnalens.context import RunContext
from dnalens.jobs.compare import compare_tables
from dnalens.jobs.variants import score_variants
from dnalens.model import load_model

GTN = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "gtn_snp"


def first_records(source: Path, count: int, target: Path) -> Path:
    with gzip.open(source, "rt") as handle, open(target, "w") as out:
        seen = 0
        for line in handle:
            if line.startswith(">"):
                seen += 1
                if seen > count:
                    break
            out.write(line)
    return target


def run(model_spec: str, sizes: list[int], plots: Path | None, log=print) -> dict:
    model = load_model(model_spec)
    context = RunContext(quiet=True, warn=lambda message: None)
    results = {"model": model.describe(), "gtn_data": str(GTN), "sizes": {}}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for size in sizes:
            started = time.time()
            tables = []
            for group in ("exon", "intron"):
                ref = first_records(GTN / f"SNP{group}_ref_201b.fasta.gz", size, folder / f"{group}_ref.fa")
                alt = first_records(GTN / f"SNP{group}_alt_201b.fasta.gz", size, folder / f"{group}_alt.fa")
                table = folder / f"{group}_{size}.tsv"
                score_variants(model, table, ref_fasta=ref, alt_fasta=alt, context=context)
                tables.append(table)
            entry = {"seconds_scoring": round(time.time() - started, 1)}
            for value in ("llr", "l2", "cosine"):
                plot = plots / f"gtn_{value}_{size}.png" if plots else None
                summary = compare_tables(tables, folder / f"summary_{value}.tsv", value=value,
                                         group_names=["exon", "intron"], plot=plot, context=context)
                entry[value] = {
                    "groups": {s.group: {"n": s.n, "mean": s.mean, "median": s.median, "sd": s.sd}
                               for s in summary.summaries},
                    "tests": {t.test: {"statistic": t.statistic, "p_value": t.p_value, "effect_size": t.effect_size,
                                       "effect_size_name": t.effect_size_name} for t in summary.tests},
                }
            results["sizes"][str(size)] = entry
            log(json.dumps({str(size): {v: entry[v]["tests"] for v in ("llr", "l2")}}))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--plots", type=Path)
    parser.add_argument("--sizes", default="100,10000")
    args = parser.parse_args()
    if args.plots:
        args.plots.mkdir(parents=True, exist_ok=True)
    result = run(args.model, [int(s) for s in args.sizes.split(",")], args.plots, log=lambda m: print(m, flush=True))
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
