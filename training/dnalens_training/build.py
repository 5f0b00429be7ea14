"""Build the default DNALens model in one command: train, evaluate, zero-shot, model card.

    python -m dnalens_training.build --recipe cpu --out build/default-model
    python -m dnalens_training.build --out build/default-model --stages evaluate,zero-shot,card   # re-measure
    python -m dnalens_training.build --recipe cpu-repeat --init-from core/dnalens/default_model \
        --previous core/dnalens/default_model --out build/default-model-phase6     # a new phase, compared

Then copy the folder's model files into core/dnalens/default_model/ (see training/README.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .recipe import RECIPES

STAGES = ("train", "evaluate", "zero-shot", "variant-effect", "card")


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


def _validation_split(entry: dict) -> str:
    if "validation_loss_nonrepeat_bits" not in entry:
        return ""
    return (f"; {entry['validation_loss_nonrepeat_bits']:.3f} on non-repeat and "
            f"{entry['validation_loss_repeat_bits']:.3f} on repeat bases ({entry['validation_repeat_fraction']:.0%} "
            "of the targets)")


def _repeat_share(evaluation: dict) -> str:
    if "nonrepeat" not in evaluation:
        return "not measured (no repeat mask)."
    return (f"{evaluation['nonrepeat']['sites']:,} of the {evaluation['sites']:,} sites "
            f"({1 - evaluation['repeat_fraction_of_sites']:.0%}) lie outside what windowmasker and dustmasker mask.")


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


def _bits_table(evaluation: dict) -> str:
    """Bits/nt on all held-out sites and on non-repeat ones: this model, the compared weights, the baselines."""
    nonrepeat = evaluation.get("nonrepeat")
    other = evaluation.get("previous_weights")

    def row(name: str, entry: dict, sub: dict | None, bold: bool = False) -> str:
        mark = "**" if bold else ""
        cells = f"{mark}{entry['model_bits_per_nt']:.4f}{mark} (± {entry['model_bits_per_nt_sem']:.4f} s.e.)"
        if nonrepeat is not None:
            cells += f" | {sub['model_bits_per_nt']:.4f} (± {sub['model_bits_per_nt_sem']:.4f})" if sub else " | –"
        return f"| {mark}{name}{mark} | {cells} |"

    header = "| predictor | all sites |" + (" non-repeat sites |" if nonrepeat else "")
    lines = [header, "|---|---|" + ("---|" if nonrepeat else ""), row("dnalens-default", evaluation, nonrepeat, True)]
    if other is not None:
        lines.append(row(evaluation.get("previous_label", "previous weights"), other, other.get("nonrepeat")))
    for k, value in evaluation["kmer_baseline_bits_per_nt"].items():
        cell = f" | {nonrepeat['kmer_baseline_bits_per_nt'][k]:.4f}" if nonrepeat else ""
        lines.append(f"| k-mer context, k = {k} (both sides) | {value:.4f}{cell} |")
    return "\n".join(lines)


def _comparison_text(evaluation: dict) -> str:
    paired = evaluation.get("paired_difference_vs_previous")
    if not paired:
        return ""
    label = evaluation.get("previous_label", "previous weights")
    parts = [f"{name} sites {entry['mean_bits']:+.4f} ± {entry['sem_bits']:.4f}" for name, entry in paired.items()]
    return f"Per-site difference, this model − {label} (same sites, mean ± s.e.): {'; '.join(parts)} bits."


def clinvar_table(entry: dict) -> str:
    subsets = [name for name in entry["table"] if any(key not in ("n", "pathogenic", "benign")
                                                      for key in entry["table"][name])]
    scores = [key for key in entry["table"]["all"] if key not in ("n", "pathogenic", "benign")]
    header = "| score | " + " | ".join(
        f"{name} ({entry['table'][name]['pathogenic']} P / {entry['table'][name]['benign']} B)" for name in subsets)
    lines = [header + " |", "|---|" + "---|" * len(subsets)]
    for score in scores:
        cells = [f"{entry['table'][name][score]['auroc']:.3f} ({entry['table'][name][score]['ci95'][0]:.3f}–"
                 f"{entry['table'][name][score]['ci95'][1]:.3f})" for name in subsets]
        lines.append(f"| {score} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def clinvar_section(zero_shot: dict, label: str) -> str:
    if "clinvar_chrX" not in zero_shot:
        return "Not measured (`../shared/data/clinvar_chrX_dev/` was not available)."
    current = zero_shot["clinvar_chrX"]
    text = (f"`dnalens variants --vcf … --reference {Path(current['reference']).name} --model <folder>` on "
            f"{current['variants_in_vcf']:,} ClinVar chrX SNVs (GRCh37; LABEL 1 pathogenic, 0 benign); "
            f"{current['variants_scored']:,} scored (all lie within the reference's 70 Mb). AUROC of pathogenic "
            "vs benign, 95 % bootstrap interval (2,000 resamples of the variants). Direction: a higher score is "
            "read as pathogenic, so llr enters as −llr (a damaging change should make the alternative base less "
            "likely); l2 and cosine are distances. 0.5 is chance; below 0.5 means the score ranks benign "
            "variants as more damaging. The k-mer row is log2 P(alt)/P(ref) from 5 bases each side, counted on "
            "the model's training data.\n\n**These weights**\n\n" + clinvar_table(current))
    if "clinvar_chrX_previous" in zero_shot:
        text += f"\n\n**{label}**\n\n" + clinvar_table(zero_shot["clinvar_chrX_previous"])
        differences = zero_shot["clinvar_chrX_difference_vs_previous"]
        rows = ["| score | " + " | ".join(next(iter(differences.values()))) + " |",
                "|---|" + "---|" * len(next(iter(differences.values())))]
        for score, per_subset in differences.items():
            rows.append(f"| {score} | " + " | ".join(
                f"{v['difference']:+.3f} ({v['ci95'][0]:+.3f} to {v['ci95'][1]:+.3f})" for v in per_subset.values())
                + " |")
        text += f"\n\nAUROC difference, these weights − {label} (paired bootstrap):\n\n" + "\n".join(rows)
    return text


def _selection(evaluation: dict, zero_shot: dict) -> str:
    """The rule the shipped weights were chosen by, and the numbers it was applied to."""
    other = evaluation.get("previous_weights")
    differences = zero_shot.get("clinvar_chrX_difference_vs_previous")
    if other is None or differences is None:
        return ""
    label = evaluation.get("previous_label", "previous weights")
    text = ("## Selection\nRule (issue 16): new weights ship only if they are better on zero-shot variant effect "
            "(ClinVar AUROC) without being worse on held-out bits/nt beyond the noise (2 s.e. of the paired "
            f"per-site difference). Compared here: {label}")
    training = other.get("training")
    if training:
        recipe, last = training["recipe"], training["history"][-1]
        text += (f" (recipe `{recipe['name']}`, repeat weight {recipe.get('repeat_weight', 1.0)}, "
                 f"{'chr20 + chrX outside 20-30 Mb' if recipe.get('train_on_chrx') else 'chr20'}, "
                 f"{last['step']:,} of {recipe['steps']:,} steps; its validation loss "
                 f"{last['validation_loss_bits']:.4f} bits on all targets"
                 + (f", {last['validation_loss_nonrepeat_bits']:.4f} on non-repeat ones"
                    if "validation_loss_nonrepeat_bits" in last else "") + ")")
    llr = differences["-llr"]["all"]
    paired = evaluation["paired_difference_vs_previous"]
    text += (f". AUROC of −llr, these weights − those: {llr['difference']:+.3f} (95 % interval "
             f"{llr['ci95'][0]:+.3f} to {llr['ci95'][1]:+.3f}); bits/nt, these − those: all sites "
             f"{paired['all']['mean_bits']:+.4f} ± {paired['all']['sem_bits']:.4f}")
    if "nonrepeat" in paired:
        text += f", non-repeat sites {paired['nonrepeat']['mean_bits']:+.4f} ± {paired['nonrepeat']['sem_bits']:.4f}"
    # "these − those" intervals entirely below 0: those weights are better on that score.
    better_on = [name for name, entry in differences.items() if entry["all"]["ci95"][1] < 0]
    those_better_effect = len(better_on) == len(differences)
    those_worse_bits = -paired["all"]["mean_bits"] > 2 * paired["all"]["sem_bits"]
    if those_better_effect:
        verdict = "better on variant effect"
    elif better_on:
        verdict = (f"better on the AUROC of {', '.join(better_on)} only (every other score's interval reaches 0 "
                   "or beyond)")
    else:
        verdict = "not better on variant effect (an AUROC difference interval reaches 0 or beyond)"
    verdict += (", and worse on bits/nt beyond the noise" if those_worse_bits else
                ", and not worse on bits/nt beyond the noise")
    return text + f". Those weights were {verdict}; these weights are shipped.\n\n"


def _training_data(phases: list[dict], metrics: dict) -> str:
    text = ("human chromosome 20, GRCh37, from Debian's `vt-examples` package (MIT), both strands "
            "(reverse-complement augmentation), windows with more than 5 % N skipped. Held out for validation: "
            f"chr20:{metrics['validation_region'][0]:,}-{metrics['validation_region'][1]:,}.")
    chrx_phases = [i for i, p in enumerate(phases, start=1) if p["recipe"].get("train_on_chrx")]
    if chrx_phases:
        text += (f" From phase {chrx_phases[0]} on, also chrX outside 20-30 Mb (GRCh37, Debian `smalt-examples`, "
                 "the first 70 Mb): ClinVar chrX variants outside 20-30 Mb sit in sequence the model has seen "
                 "(never their labels).")
    weighted = [(i, p["recipe"]["repeat_weight"]) for i, p in enumerate(phases, start=1)
                if p["recipe"].get("repeat_weight", 1.0) != 1.0]
    if weighted:
        text += (f" Phase {weighted[0][0]} weighs masked positions inside repeats or low-complexity sequence "
                 f"(windowmasker + dustmasker, NCBI BLAST+) by {weighted[0][1]} in the loss: "
                 "sum(w · cross-entropy) / sum(w).")
    return text


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
        + (f", repeat weight {p['recipe']['repeat_weight']}" if p["recipe"].get("repeat_weight", 1.0) != 1.0 else "")
        + (", chr20 + chrX outside 20-30 Mb" if p["recipe"].get("train_on_chrx") else "")
        + (f", stopped at step {p['history'][-1]['step']:,} (the run's last checkpoint; time ran out)"
           if p["history"] and p["history"][-1]["step"] < p["recipe"]["steps"] else "")
        for i, p in enumerate(phases, start=1))
    best = evaluation["best_baseline"]
    final = metrics["history"][-1]
    zero_shot_json = json.loads(zero_shot_path.read_text()) if zero_shot_path.exists() else {}
    zero_shot = (zero_shot_table(zero_shot_json) if "sizes" in zero_shot_json
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
- Training: {_training_data(phases, metrics)}
- Test: human chrX (GRCh37, Debian `smalt-examples`), 20-30 Mb, never seen in training.
- Weights: MIT, like DNALens.

## Recipe
Masked-language modelling, {recipe['mask_rate']:.0%} of bases masked (80 % [MASK], 10 % random, 10 % kept), AdamW,
batch {recipe['batch_size']} × {recipe['window_bp']} bp, {tokens:,} bases in all. {schedule}. Reproduce with
`python -m dnalens_training.build --recipe {recipe['name']} --out DIR` (all {len(phases)} phases, chained).

Hardware: {metrics['hardware']}; {minutes:.0f} minutes in all. torch {metrics['torch']},
transformers {metrics['transformers']}. Final validation loss: {final['validation_loss_bits']:.3f} bits per
masked base (over the full vocabulary){_validation_split(final)}.

## Evaluation: bits per nucleotide at masked sites (held-out chrX)
{evaluation['windows']:,} windows of 512 bp, {evaluation['sites']:,} sites masked at least
{evaluation['site_spacing_bp'] - 8} bp apart (every {evaluation['site_spacing_bp']} bp), P renormalised over
A/C/G/T. Lower is better; 2.0 is a uniform guess. The baselines predict the centre base from k bases on each
side, add-one smoothed, counted on the same training data, and are scored on the very same sites.

{_bits_table(evaluation)}

Non-repeat sites: {_repeat_share(evaluation)} Best baseline: k = {best['k']}, {best['bits_per_nt']:.4f} bits/nt.
{_verdict(evaluation)} {_comparison_text(evaluation)}
The project's goal of ≤ 1.60 bits/nt is {"met" if evaluation['model_bits_per_nt'] <= 1.60 else "not met"} by this model.

## Zero-shot variant effect: pathogenic vs benign ClinVar SNVs (chrX)
{clinvar_section(zero_shot_json, evaluation.get("previous_label", "previous weights"))}

{_selection(evaluation, zero_shot_json)}
## Zero-shot: exon vs intron SNPs (GTN SNP set)
`dnalens variants` on the Galaxy Training Network SNP windows (201 bp, ref/alt paired by order), then
`dnalens compare` with the tests for independent groups.

{zero_shot}

## Limits
- Trained on {"chr20 and most of the first 70 Mb of chrX" if any(p["recipe"].get("train_on_chrx") for p in phases)
  else "one chromosome"} of one assembly (GRCh37), with a short context ({recipe['window_bp']} bp) and few
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
    parser.add_argument("--previous", type=Path,
                        help="the weights these would replace: measured alongside (same sites, same variants)")
    parser.add_argument("--previous-label", default="previous weights",
                        help="what the card calls the --previous weights")
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

        result = evaluate(args.out, log=log, previous=args.previous)
        if args.previous is not None:
            result["previous_label"] = args.previous_label
            other = json.loads((args.previous / "training_metrics.json").read_text())
            result["previous_weights"]["training"] = {"recipe": other["recipe"], "history": other["history"]}
        (args.out / "evaluation.json").write_text(json.dumps(result, indent=2) + "\n")
    zero_shot_path = args.out / "zero_shot.json"
    if "zero-shot" in stages:
        from .zero_shot import GTN, run

        if GTN.exists():
            (args.out / "plots").mkdir(exist_ok=True)
            result = run(str(args.out), [100, 10_000], args.out / "plots", log=log)
            kept = json.loads(zero_shot_path.read_text()) if zero_shot_path.exists() else {}
            result.update({key: value for key, value in kept.items() if key.startswith("clinvar")})
            zero_shot_path.write_text(json.dumps(result, indent=2) + "\n")
        else:
            log(f"skipping zero-shot: {GTN} not found")
    if "variant-effect" in stages:
        from .variant_effect import CLINVAR, clinvar_summary

        if CLINVAR.exists():
            result = json.loads(zero_shot_path.read_text()) if zero_shot_path.exists() else {}
            result.update(clinvar_summary(args.out, args.previous, args.out / "variant-effect", log=log))
            zero_shot_path.write_text(json.dumps(result, indent=2) + "\n")
        else:
            log(f"skipping variant effect: {CLINVAR} not found")
    if "card" in stages:
        (args.out / "README.md").write_text(model_card(args.out))
        log(f"wrote {args.out / 'README.md'}")


if __name__ == "__main__":
    from .repeats import MaskToolMissing

    try:
        main()
    except MaskToolMissing as error:  # one line saying what to install, not a traceback
        raise SystemExit(f"dnalens-training: error: {error}") from None
