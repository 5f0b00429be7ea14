"""Held-out evaluation of a masked DNA model against bidirectional k-mer baselines on the same sites.

    python -m dnalens_training.evaluate --model build/default-model --out build/evaluation.json

Test data: human chrX (GRCh37, Debian smalt-examples), 20-30 Mb: never seen in training (no training window
overlaps it). Non-repeat sites: those neither windowmasker nor dustmasker masked (`repeats`).
Sites are masked together in 512 bp windows, at least 40 bp apart, so every masked site has intact
neighbours. Score: bits per nucleotide, -log2 P(true base), with P renormalised over A, C, G, T.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from .genome import N_CODE, Region, read_chromosome, sample_windows
from .kmer_baseline import KmerContextModel
from .masking import codes_to_input_ids
from .tokenizer import FIRST_NUCLEOTIDE_ID, MASK_ID
from .train import CHR20, CHRX, TEST_REGION, VALIDATION_REGION

SITE_SPACING = 48  # ≥ 40 bp between masked sites, as the evaluation protocol asks


def choose_sites(windows: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """Offsets of the masked sites in each window: a random phase, then every SITE_SPACING bases."""
    phases = rng.integers(0, SITE_SPACING, size=windows)
    return np.stack([np.arange(phase, length, SITE_SPACING)[: length // SITE_SPACING] for phase in phases])


@torch.inference_mode()
def model_bits(model, windows: np.ndarray, sites: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """-log2 P(true base) at every site, all sites of a window masked in one pass."""
    model.eval()
    bits = []
    base_ids = torch.arange(FIRST_NUCLEOTIDE_ID, FIRST_NUCLEOTIDE_ID + 4)
    for start in range(0, len(windows), batch_size):
        codes = torch.from_numpy(windows[start : start + batch_size])
        batch_sites = torch.from_numpy(sites[start : start + batch_size]).long()
        input_ids = codes_to_input_ids(codes)
        rows = torch.arange(len(codes)).unsqueeze(1).expand_as(batch_sites)
        input_ids[rows, batch_sites + 1] = MASK_ID  # +1: the [CLS] token
        logits = model(input_ids=input_ids).logits.float()
        site_logits = logits[rows, batch_sites + 1][..., base_ids]
        log_probs = torch.log_softmax(site_logits, dim=-1)
        truth = codes[rows, batch_sites].long()
        bits.append((-log_probs.gather(-1, truth.unsqueeze(-1)).squeeze(-1) / math.log(2)).flatten())
    return torch.cat(bits).numpy()


CACHE = Path(__file__).resolve().parents[2] / "build" / "cache" / "evaluation"


def _cached(key: str, compute) -> np.ndarray:
    """Per-site bits, kept in build/cache/evaluation under a key naming everything they depend on."""
    path = CACHE / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.npy"
    if path.exists():
        return np.load(path)
    values = compute()
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.npy")
    np.save(partial, values)
    partial.replace(path)
    return values


def _weights_digest(model_dir: Path) -> str:
    return hashlib.sha256((Path(model_dir) / "model.safetensors").read_bytes()).hexdigest()


def training_sources(model_dir: Path) -> list[tuple[Path, Region]]:
    """The chromosomes (and held-out regions) a built model was trained on, for baselines counted alike."""
    metrics_path = Path(model_dir) / "training_metrics.json"
    recipe = json.loads(metrics_path.read_text())["recipe"] if metrics_path.exists() else {}
    sources = [(CHR20, VALIDATION_REGION)]
    if recipe.get("train_on_chrx"):
        sources.append((CHRX, TEST_REGION))
    return sources


def _site_repeats(windows: np.ndarray, starts: np.ndarray, offsets: np.ndarray, log) -> np.ndarray | None:
    """Repeat flags (windowmasker + dustmasker on chrX) at every site, or None without the tools."""
    from .repeats import MaskToolMissing, repeat_annotation

    try:
        mask = repeat_annotation(CHRX, log=log).mask()
    except MaskToolMissing as error:
        log(f"no repeat mask ({error}): bits/nt on all sites only")
        return None
    return mask[starts[:, None] + offsets].flatten()


def _summary(bits: np.ndarray, baselines: dict[int, np.ndarray]) -> dict:
    means = {k: float(v.mean()) for k, v in baselines.items()}
    best_k = min(means, key=means.get)
    difference = bits - baselines[best_k]  # same sites: the paired difference says how sure the comparison is
    return {
        "sites": int(bits.size),
        "model_bits_per_nt": float(bits.mean()),
        "model_bits_per_nt_sem": float(bits.std(ddof=1) / math.sqrt(bits.size)),
        "kmer_baseline_bits_per_nt": {str(k): v for k, v in means.items()},
        "best_baseline": {"k": best_k, "bits_per_nt": means[best_k]},
        "beats_best_baseline": bool(bits.mean() < means[best_k]),
        "paired_difference_vs_best": {"mean_bits": float(difference.mean()),
                                      "sem_bits": float(difference.std(ddof=1) / math.sqrt(difference.size))},
    }


def _paired(new: np.ndarray, old: np.ndarray) -> dict:
    difference = new - old
    return {"mean_bits": float(difference.mean()),
            "sem_bits": float(difference.std(ddof=1) / math.sqrt(difference.size))}


def evaluate(model_dir: Path, windows: int = 2000, max_k: int = 6, seed: int = 0, log=print,
             previous: Path | None = None) -> dict:
    """Bits/nt at masked held-out chrX sites, on all sites and on non-repeat ones, against k-mer baselines
    counted on the model's own training data; with `previous`, that model on the same sites too."""
    from transformers import AutoModelForMaskedLM

    started = time.time()
    rng = np.random.default_rng(seed)
    chrx = read_chromosome(CHRX)
    # The window starts ride along as each window's "annotation": its first base's coordinate.
    test_windows, coordinates = sample_windows(chrx, windows, 512, rng, within=TEST_REGION, max_n_fraction=0.0,
                                               annotation=np.arange(len(chrx), dtype=np.int64))
    starts = coordinates[:, 0]
    offsets = choose_sites(windows, 512, rng)
    repeats = _site_repeats(test_windows, starts, offsets, log)
    sites_key = f"{CHRX.stat().st_size}|{hashlib.sha256(starts.tobytes() + offsets.tobytes()).hexdigest()}"

    def bits_of(folder: Path) -> np.ndarray:
        return _cached(f"model|{_weights_digest(folder)}|{sites_key}", lambda: model_bits(
            AutoModelForMaskedLM.from_pretrained(folder), test_windows, offsets))

    bits = bits_of(model_dir)
    log(f"model: {bits.mean():.4f} bits/nt on {bits.size} sites ({time.time() - started:.0f} s)")
    previous_bits = None
    if previous is not None:
        previous_bits = bits_of(previous)
        log(f"previous weights: {previous_bits.mean():.4f} bits/nt ({time.time() - started:.0f} s)")

    # The baseline scores the very same sites: centres inside the same windows, padded with the windows' own
    # flanks (k ≤ 6 never reaches the next masked site, which is ≥ 40 bp away).
    flat = np.concatenate([np.full(8, N_CODE, np.uint8), np.concatenate(
        [np.concatenate([w, np.full(8, N_CODE, np.uint8)]) for w in test_windows])])
    stride = 512 + 8
    centres = (8 + np.arange(windows)[:, None] * stride + offsets).flatten()
    sources = training_sources(model_dir)
    training_codes: list = []

    def baseline_bits(k: int) -> np.ndarray:
        if not training_codes:
            training_codes.extend((read_chromosome(path), region) for path, region in sources)
        baseline = KmerContextModel(k)
        for codes, region in training_codes:
            baseline.fit(codes, exclude=(region.start, region.end))
        return -baseline.log2_prob(flat, centres)

    sources_key = "|".join(f"{path}:{path.stat().st_size}:{region}" for path, region in sources)
    per_site = {}
    for k in range(1, max_k + 1):
        per_site[k] = _cached(f"kmer|{k}|{sources_key}|{sites_key}", lambda k=k: baseline_bits(k))
        log(f"k-mer baseline k={k}: {per_site[k].mean():.4f} bits/nt ({time.time() - started:.0f} s)")
    result = {
        "test_data": f"{CHRX} (GRCh37 chrX) {TEST_REGION.start:,}-{TEST_REGION.end:,}",
        "kmer_training_data": [f"{path} excluding {region.start:,}-{region.end:,}" for path, region in sources],
        "windows": windows,
        "site_spacing_bp": SITE_SPACING,
        **_summary(bits, per_site),
    }
    if repeats is not None:
        keep = ~repeats
        result["repeat_fraction_of_sites"] = float(repeats.mean())
        result["nonrepeat"] = _summary(bits[keep], {k: v[keep] for k, v in per_site.items()})
    if previous_bits is not None:
        result["previous_weights"] = {"path": str(previous), **_summary(previous_bits, per_site)}
        result["paired_difference_vs_previous"] = {"all": _paired(bits, previous_bits)}
        if repeats is not None:
            result["previous_weights"]["nonrepeat"] = _summary(previous_bits[~repeats],
                                                               {k: v[~repeats] for k, v in per_site.items()})
            result["paired_difference_vs_previous"]["nonrepeat"] = _paired(bits[~repeats], previous_bits[~repeats])
    result["seconds"] = round(time.time() - started, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--windows", type=int, default=2000)
    parser.add_argument("--max-k", type=int, default=6)
    parser.add_argument("--previous", type=Path, help="also score these weights on the same sites")
    args = parser.parse_args()
    result = evaluate(args.model, args.windows, args.max_k, log=lambda m: print(m, flush=True), previous=args.previous)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
