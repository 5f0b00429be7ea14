"""Build the default DNALens model in one command: train, evaluate, zero-shot, model card.

    python -m dnalens_training.build --recipe cpu --out build/default-model
    python -m dnalens_training.build --out build/default-model --stages evaluate,zero-shot,card   # re-measure

Then copy the folder's model files into core/dnalens/default_model/ (see training/README.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .recipe import RECIPES

STAGES = ("train", "evaluate", "zero-shot", "card")


def _fmt_p(value: float) -> str:
    return f"{value:.2g}"


def zero_shot_table(zero_shot: dict) -> str:
    lines = ["| pairs per group | score | exon mean | intron mean | Welch t p | Cohen's d | Mann–Whitney p | "
             "rank-biserial |", "|---|---|---|---|---|---|---|---|"]
    for size, entry in zero_shot["sizes"].items():
        for value in ("llr", "l2"):
            groups, tests = entry[value]["groups"], entry[value]["tests"]
            welch, mwu = tests["welch_t"], tests["mann_whitney_u"]
            lines.append(f"| {int(size):,} | {value} | {groups['exon']['mean']:.4g} | {groups['intron']['mean']:.4g} | "
                         f"{_fmt_p(welch['p_value'])} | {welch['effect_size']:.3f} | {_fmt_p(mwu['p_value'])} | "
                         f"{mwu['effect_size']:.3f} |")
    return "\n".join(lines)


def _verdict(evaluation: dict) -> str:
    paired = evaluation["paired_difference_vs_best"]
    difference = (f"per-site difference (model − baseline, same sites) {paired['mean_bits']:+.4f} ± "
                  f"{paired['sem_bits']:.4f} bits (mean ± s.e.)")
    if not evaluation["beats_best_baseline"]:
        return f"The model does NOT beat it: {difference}."
    if -paired["mean_bits"] < 2 * paired["sem_bits"]:
        return (f"The model is lower by a margin within the noise: {difference}. It is on par with this "
                "baseline, not clearly better.")
    return f"The model beats it: {difference}."


def model_card(folder: Path) -> str:
    metrics = json.loads((folder / "training_metrics.json").read_text())
    evaluation = json.loads((folder / "evaluation.json").read_text())
    zero_shot_path = folder / "zero_shot.json"
    phases = metrics.get("phases", [metrics])
    recipe = phases[0]["recipe"]
    tokens = sum(p["tokens_seen"] for p in phases)
    minutes = sum(p["wall_time_s"] for p in phases) / 60
    schedule = "; ".join(
        f"phase {i}: {p['recipe']['steps']:,} steps, peak learning rate {p['recipe']['learning_rate']}, "
        f"{p['recipe']['warmup_steps']} warm-up steps, cosine decay, seed {p['recipe']['seed']}"
        + (f", from phase {i - 1}'s weights with a fresh optimiser" if p.get("init_from") else "")
        + (", bf16 autocast" if p.get("bf16") else "")
        for i, p in enumerate(phases, start=1))
    baselines = evaluation["kmer_baseline_bits_per_nt"]
    best = evaluation["best_baseline"]
    final = metrics["history"][-1]
    baseline_rows = "\n".join(f"| k-mer context, k = {k} (both sides) | {v:.4f} |" for k, v in baselines.items())
    zero_shot = (zero_shot_table(json.loads(zero_shot_path.read_text())) if zero_shot_path.exists()
                 else "Not measured (the GTN SNP files were not available).")
    return f"""---
license: mit
library_name: transformers
pipeline_tag: fill-mask
tags: [dna, genomics, masked-language-model, dnalens]
---

# DNALens default model (dnalens-default)

A small bidirectional masked language model of human DNA, one token per nucleotide, shipped inside DNALens as
its offline default. Architecture: ModernBERT ({recipe['layers']} layers, hidden size {recipe['hidden_size']},
{recipe['heads']} heads, {metrics['parameters']:,} parameters), context {recipe['window_bp']} bp. It loads with
`AutoModelForMaskedLM` and `AutoTokenizer` from this folder, without remote code.

## Data and licence
- Training: human chromosome 20, GRCh37, from Debian's `vt-examples` package (MIT), both strands
  (reverse-complement augmentation), windows with more than 5 % N skipped. Held out for validation:
  chr20:{metrics['validation_region'][0]:,}-{metrics['validation_region'][1]:,}.
- Test: human chrX (GRCh37, Debian `smalt-examples`), 20-30 Mb, never seen in training.
- Weights: MIT, like DNALens.

## Recipe
Masked-language modelling, {recipe['mask_rate']:.0%} of bases masked (80 % [MASK], 10 % random, 10 % kept), AdamW,
batch {recipe['batch_size']} × {recipe['window_bp']} bp, {tokens:,} bases in all. {schedule}. Reproduce with
`python -m dnalens_training.build --recipe {recipe['name']} --out DIR` (all {len(phases)} phases, chained).

Hardware: {metrics['hardware']}; {minutes:.0f} minutes in all. torch {metrics['torch']},
transformers {metrics['transformers']}. Final validation loss: {final['validation_loss_bits']:.3f} bits per
masked base (over the full vocabulary).

## Evaluation: bits per nucleotide at masked sites (held-out chrX)
{evaluation['windows']:,} windows of 512 bp, {evaluation['sites']:,} sites masked at least
{evaluation['site_spacing_bp'] - 8} bp apart (every {evaluation['site_spacing_bp']} bp), P renormalised over
A/C/G/T. Lower is better; 2.0 is a uniform guess. The baselines predict the centre base from k bases on each
side, add-one smoothed, counted on the same training data, and are scored on the very same sites.

| predictor | bits per nucleotide |
|---|---|
| **dnalens-default** | **{evaluation['model_bits_per_nt']:.4f}** (± {evaluation['model_bits_per_nt_sem']:.4f} s.e.) |
{baseline_rows}

Best baseline: k = {best['k']}, {best['bits_per_nt']:.4f} bits/nt. {_verdict(evaluation)}
The project's goal of ≤ 1.60 bits/nt is {"met" if evaluation['model_bits_per_nt'] <= 1.60 else "not met"} by this model.

## Zero-shot: exon vs intron SNPs (GTN SNP set)
`dnalens variants` on the Galaxy Training Network SNP windows (201 bp, ref/alt paired by order), then
`dnalens compare` with the tests for independent groups.

{zero_shot}

## Limits
- Trained on one chromosome of one assembly (GRCh37 chr20), with a short context ({recipe['window_bp']} bp) and few
  parameters: it captures local sequence statistics and repeats, not long-range regulation.
- Zero-shot scores are research signals, not calibrated pathogenicity predictions.
- Research use only; not for clinical decisions.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="cpu")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--one-phase", action="store_true",
                        help="train --recipe alone, not the phases chained after it (cpu alone: about 80 minutes)")
    parser.add_argument("--init-from", type=Path,
                        help="resume a chain: start --recipe from this built model's weights and keep its phases")
    args = parser.parse_args()
    stages = args.stages.split(",")
    log = lambda message: print(message, flush=True)  # noqa: E731
    if "train" in stages:
        import json as _json

        from .train import train

        phases, recipe, init_from = [], RECIPES[args.recipe], args.init_from
        if init_from is not None:
            earlier = _json.loads((init_from / "training_metrics.json").read_text())
            phases = earlier.get("phases", [earlier])
        while recipe is not None:
            phases.append(train(recipe, args.out, device_name=args.device, log=log, init_from=init_from))
            init_from, recipe = args.out, RECIPES[recipe.then] if recipe.then and not args.one_phase else None
        if len(phases) > 1:
            combined = {**phases[-1], "phases": phases}
            (args.out / "training_metrics.json").write_text(_json.dumps(combined, indent=2) + "\n")
    if "evaluate" in stages:
        from .evaluate import evaluate

        (args.out / "evaluation.json").write_text(json.dumps(evaluate(args.out, log=log), indent=2) + "\n")
    if "zero-shot" in stages:
        from .zero_shot import GTN, run

        if GTN.exists():
            (args.out / "plots").mkdir(exist_ok=True)
            result = run(str(args.out), [100, 10_000], args.out / "plots", log=log)
            (args.out / "zero_shot.json").write_text(json.dumps(result, indent=2) + "\n")
        else:
            log(f"skipping zero-shot: {GTN} not found")
    if "card" in stages:
        (args.out / "README.md").write_text(model_card(args.out))
        log(f"wrote {args.out / 'README.md'}")


if __name__ == "__main__":
    main()
