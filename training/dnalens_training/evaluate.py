"""Held-out evaluation of a masked DNA model against bidirectional k-mer baselines on the same sites.

    python -m dnalens_training.evaluate --model build/default-model --out build/evaluation.json

Test data: human chrX (GRCh37, Debian smalt-examples), 20-30 Mb: never seen in training (chr20 only).
Sites are masked together in 512 bp windows, at least 40 bp apart, so every masked site has intact
neighbours. Score: bits per nucleotide, -log2 P(true base), with P renormalised over A, C, G, T.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from .genome import N_CODE, read_chromosome, sample_windows
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


def evaluate(model_dir: Path, windows: int = 2000, max_k: int = 6, seed: int = 0, log=print) -> dict:
    from transformers import AutoModelForMaskedLM

    started = time.time()
    rng = np.random.default_rng(seed)
    chrx = read_chromosome(CHRX)
    test_windows = sample_windows(chrx, windows, 512, rng, within=TEST_REGION, max_n_fraction=0.0)
    offsets = choose_sites(windows, 512, rng)
    model = AutoModelForMaskedLM.from_pretrained(model_dir)
    bits = model_bits(model, test_windows, offsets)
    log(f"model: {bits.mean():.4f} bits/nt on {bits.size} sites ({time.time() - started:.0f} s)")

    # The baseline scores the very same sites: centres inside the same windows, padded with the windows' own
    # flanks (k ≤ 6 never reaches the next masked site, which is ≥ 40 bp away).
    flat = np.concatenate([np.full(8, N_CODE, np.uint8), np.concatenate(
        [np.concatenate([w, np.full(8, N_CODE, np.uint8)]) for w in test_windows])])
    stride = 512 + 8
    centres = (8 + np.arange(windows)[:, None] * stride + offsets).flatten()
    chr20 = read_chromosome(CHR20)
    baselines, per_site = {}, {}
    for k in range(1, max_k + 1):
        baseline = KmerContextModel(k)
        baseline.fit(chr20, exclude=(VALIDATION_REGION.start, VALIDATION_REGION.end))
        per_site[k] = -baseline.log2_prob(flat, centres)
        baselines[k] = float(per_site[k].mean())
        log(f"k-mer baseline k={k}: {baselines[k]:.4f} bits/nt ({time.time() - started:.0f} s)")
        del baseline
    best_k = min(baselines, key=baselines.get)
    # Same sites for both: the paired per-site difference says how sure the comparison is.
    difference = bits - per_site[best_k]
    return {
        "test_data": f"{CHRX} (GRCh37 chrX) {TEST_REGION.start:,}-{TEST_REGION.end:,}",
        "windows": windows,
        "sites": int(bits.size),
        "site_spacing_bp": SITE_SPACING,
        "model_bits_per_nt": float(bits.mean()),
        "model_bits_per_nt_sem": float(bits.std(ddof=1) / math.sqrt(bits.size)),
        "kmer_baseline_bits_per_nt": {str(k): v for k, v in baselines.items()},
        "best_baseline": {"k": best_k, "bits_per_nt": baselines[best_k]},
        "beats_best_baseline": bool(bits.mean() < baselines[best_k]),
        "paired_difference_vs_best": {"mean_bits": float(difference.mean()),
                                      "sem_bits": float(difference.std(ddof=1) / math.sqrt(difference.size))},
        "seconds": round(time.time() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--windows", type=int, default=2000)
    parser.add_argument("--max-k", type=int, default=6)
    args = parser.parse_args()
    result = evaluate(args.model, args.windows, args.max_k, log=lambda m: print(m, flush=True))
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
