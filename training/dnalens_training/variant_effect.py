"""Zero-shot variant effect: pathogenic vs benign ClinVar chrX SNVs, scored with the real `dnalens variants`.

    python -m dnalens_training.variant_effect --model core/dnalens/default_model --out build/clinvar.json

Each model's scores come from the `dnalens variants` command (VCF mode, 201 bp windows, the GRCh37 chrX of
Debian's smalt-examples, which holds its first 70 Mb). AUROC of pathogenic (LABEL=1) against benign (LABEL=0):
for llr the score is -llr (a damaging change is expected to make the alternative base less likely, a more
negative llr); for l2 and cosine the distance itself. Intervals: percentile bootstrap over variants (2,000
resamples, seeded). Next to it, a k-mer context model's llr (log2 P(alt) - log2 P(ref) from k bases on each
side, counted on the model's training data) on the very same variants.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

from .evaluate import _cached, training_sources
from .genome import NUCLEOTIDE_CODES, read_chromosome
from .kmer_baseline import KmerContextModel
from .train import CHRX, TEST_REGION

CLINVAR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "clinvar_chrX_dev" / \
    "clinvar_chrX_grch37_snv.vcf"
SUBSETS = ("all", "coding", "intronic", "chrX 20-30 Mb (held out)", "chrX outside 20-30 Mb")
RESAMPLES = 2000
KMER_K = 5  # the best k-mer context model on held-out chrX bits/nt (evaluation.json)


def read_labelled_vcf(path: Path) -> list[dict]:
    variants = []
    with open(path) as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            chrom, pos, vid, ref, alt, _, _, info = line.rstrip("\n").split("\t")[:8]
            fields = dict(item.split("=", 1) for item in info.split(";") if "=" in item)
            variants.append({"chrom": chrom, "pos": int(pos), "id": vid, "ref": ref, "alt": alt,
                             "label": int(fields["LABEL"]), "region": fields.get("REGION", "")})
    return variants


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """P(score of a random positive > score of a random negative), ties counting one half (Mann-Whitney)."""
    ranks = rankdata(scores)
    positives = labels == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def bootstrap_indices(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(RESAMPLES, n))


def auroc_with_interval(scores: np.ndarray, labels: np.ndarray, resamples: np.ndarray) -> dict:
    values = []
    for index in resamples:
        sample = labels[index]
        if 0 < sample.sum() < len(sample):
            values.append(auroc(scores[index], sample))
    low, high = np.percentile(values, [2.5, 97.5])
    return {"auroc": auroc(scores, labels), "ci95": [float(low), float(high)]}


def _same_weights(table: Path, model: Path) -> bool:
    """Whether `table` was scored by exactly these weights (its header records their sha256)."""
    if not table.exists():
        return False
    digest = hashlib.sha256((Path(model) / "model.safetensors").read_bytes()).hexdigest()
    with open(table) as handle:
        return any(line.strip() == f"# weights_sha256: {digest}" for line in handle if line.startswith("#"))


def run_cli(model: Path | str, vcf: Path, out: Path, rc_average: bool = False, threads: int = 1) -> Path:
    """`dnalens variants` exactly as a user runs it (a table these weights already scored is kept)."""
    if _same_weights(out, Path(model)):
        return out
    command = [str(Path(sys.executable).with_name("dnalens")), "variants", "--vcf", str(vcf), "--reference",
               str(CHRX), "--model", str(model), "-o", str(out), "--threads", str(threads)]
    if rc_average:
        command.append("--rc-average")
    subprocess.run(command, check=True, capture_output=True, text=True)
    return out


def read_scores(table: Path) -> dict[tuple, dict]:
    with open(table) as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        return {(r["chrom"], int(r["pos"]), r["ref"], r["alt"]): r for r in rows if r["status"] == "ok"}


def kmer_llr(variants: list[dict], model_dir: Path, k: int = KMER_K) -> np.ndarray:
    """log2 P(alt | k bases each side) - log2 P(ref | same), counted on the model's training data."""
    sources = training_sources(model_dir)
    key = "|".join([f"kmer-llr|{k}"] + [f"{p}:{p.stat().st_size}:{r}" for p, r in sources]
                   + [f"{v['chrom']}:{v['pos']}{v['ref']}>{v['alt']}" for v in variants])
    return _cached(key, lambda: _kmer_llr(variants, sources, k))


def _kmer_llr(variants: list[dict], sources: list, k: int) -> np.ndarray:
    baseline = KmerContextModel(k)
    for path, region in sources:
        baseline.fit(read_chromosome(path), exclude=(region.start, region.end))
    chrx = read_chromosome(CHRX)
    centres = np.array([v["pos"] - 1 for v in variants])
    index = np.zeros(len(centres), dtype=np.int64)
    for offset in list(range(-k, 0)) + list(range(1, k + 1)):
        index = index * 4 + np.minimum(chrx[centres + offset], 3).astype(np.int64)  # an N flank reads as A
    counts = baseline.counts[index]
    ref = np.array([NUCLEOTIDE_CODES[v["ref"]] for v in variants])
    alt = np.array([NUCLEOTIDE_CODES[v["alt"]] for v in variants])
    rows = np.arange(len(variants))
    return np.log2((counts[rows, alt] + 1) / (counts[rows, ref] + 1))


def subset_mask(variants: list[dict], subset: str) -> np.ndarray:
    inside = np.array([TEST_REGION.start < v["pos"] <= TEST_REGION.end for v in variants])
    if subset == "all":
        return np.ones(len(variants), dtype=bool)
    if subset.startswith("chrX 20-30"):
        return inside
    if subset.startswith("chrX outside"):
        return ~inside
    return np.array([v["region"] == subset for v in variants])


def score_table(variants: list[dict], scores: dict[str, np.ndarray]) -> dict:
    """AUROC with bootstrap intervals of every score on every subset (higher score = predicted pathogenic)."""
    labels = np.array([v["label"] for v in variants])
    table = {}
    for subset in SUBSETS:
        keep = subset_mask(variants, subset)
        n_pos, n_neg = int(labels[keep].sum()), int((1 - labels[keep]).sum())
        entry = {"n": int(keep.sum()), "pathogenic": n_pos, "benign": n_neg}
        if min(n_pos, n_neg) >= 10:
            resamples = bootstrap_indices(int(keep.sum()))
            for name, values in scores.items():
                entry[name] = auroc_with_interval(values[keep], labels[keep], resamples)
        table[subset] = entry
    return table


def paired_difference(variants: list[dict], new: np.ndarray, old: np.ndarray) -> dict:
    """AUROC(new) - AUROC(old) per subset, the interval from the same bootstrap resamples for both."""
    labels = np.array([v["label"] for v in variants])
    result = {}
    for subset in ("all", "coding", "intronic"):
        keep = subset_mask(variants, subset)
        differences = []
        for index in bootstrap_indices(int(keep.sum())):
            sample = labels[keep][index]
            if 0 < sample.sum() < len(sample):
                differences.append(auroc(new[keep][index], sample) - auroc(old[keep][index], sample))
        low, high = np.percentile(differences, [2.5, 97.5])
        result[subset] = {"difference": auroc(new[keep], labels[keep]) - auroc(old[keep], labels[keep]),
                          "ci95": [float(low), float(high)]}
    return result


def measure(model_dir: Path, vcf: Path = CLINVAR, work: Path | None = None, rc_average: bool = True,
            log=print) -> dict:
    """Score the VCF with the model (and strand-averaged where the CLI offers it) and with the k-mer model."""
    variants = read_labelled_vcf(vcf)
    with tempfile.TemporaryDirectory() as folder:
        work = work or Path(folder)
        work.mkdir(parents=True, exist_ok=True)
        scored = read_scores(run_cli(model_dir, vcf, work / "scores.tsv"))
        averaged = read_scores(run_cli(model_dir, vcf, work / "scores_rc.tsv", rc_average=True)) if rc_average \
            else None
    kept = [v for v in variants if (v["chrom"], v["pos"], v["ref"], v["alt"]) in scored]
    log(f"{model_dir}: scored {len(kept)} of {len(variants)} variants")

    def column(rows: dict, name: str) -> np.ndarray:
        return np.array([float(rows[(v["chrom"], v["pos"], v["ref"], v["alt"])][name]) for v in kept])

    llr = column(scored, "llr")
    scores = {"-llr": -llr, "l2": column(scored, "l2"), "cosine": column(scored, "cosine")}
    if averaged is not None:
        scores["-llr (strand-averaged)"] = -column(averaged, "llr")
    scores[f"-kmer llr (k = {KMER_K})"] = -kmer_llr(kept, model_dir)
    return {"model": str(model_dir), "vcf": str(vcf), "reference": str(CHRX), "variants_in_vcf": len(variants),
            "variants_scored": len(kept), "score_direction": "higher = predicted pathogenic; -llr, l2, cosine",
            "table": score_table(kept, scores),
            "_scores": {name: values.tolist() for name, values in scores.items()},
            "_keys": [f"{v['chrom']}:{v['pos']}{v['ref']}>{v['alt']}" for v in kept]}


def _public(result: dict) -> dict:
    return {key: value for key, value in result.items() if not key.startswith("_")}


def clinvar_summary(model_dir: Path, previous: Path | None, work: Path, log=print) -> dict:
    """The zero_shot.json entries: these weights, the previous ones, and their paired AUROC differences."""
    current = measure(model_dir, work=work / "current", log=log)
    summary = {"clinvar_chrX": _public(current)}
    if previous is not None:
        before = measure(previous, work=work / "previous", log=log)
        if before["_keys"] != current["_keys"]:
            raise ValueError("the two models scored different variants; no paired comparison")
        variants = [v for v in read_labelled_vcf(CLINVAR)
                    if f"{v['chrom']}:{v['pos']}{v['ref']}>{v['alt']}" in set(current["_keys"])]
        summary["clinvar_chrX_previous"] = _public(before)
        summary["clinvar_chrX_difference_vs_previous"] = {
            name: paired_difference(variants, np.array(current["_scores"][name]), np.array(before["_scores"][name]))
            for name in current["_scores"] if not name.startswith("-kmer")}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--vcf", type=Path, default=CLINVAR)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--no-rc-average", action="store_true")
    parser.add_argument("--work", type=Path, help="keep the score tables here (reused for the same weights)")
    args = parser.parse_args()
    result = measure(args.model, args.vcf, args.work, rc_average=not args.no_rc_average,
                     log=lambda m: print(m, flush=True))
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
