"""Train the default DNALens masked language model on human chromosome 20 (and chrX outside 20-30 Mb).

    python -m dnalens_training.train --recipe cpu --out build/default-model

Writes the model folder (safetensors, config, tokenizer) and `training_metrics.json`.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import transformers
from transformers import ModernBertForMaskedLM

from dnalens.device import cpu_has_native_bf16

from .genome import Region, read_chromosome, sample_windows
from .masking import IGNORE_INDEX, mask_tokens
from .recipe import RECIPES, Recipe
from .tokenizer import save_tokenizer

CHR20 = Path("/usr/share/doc/vt/examples/ref/20.fa.gz")
# Held out from training, used for the validation loss (GRCh37 chr20:58-60 Mb).
VALIDATION_REGION = Region(58_000_000, 60_000_000)
VALIDATION_WINDOWS = 256
CHRX = Path("/usr/share/doc/smalt/test/data/hs37chrXtrunc.fa.gz")
# The held-out test region (GRCh37 chrX:20-30 Mb): no training window may overlap it.
TEST_REGION = Region(20_000_000, 30_000_000)


@dataclass
class Source:
    """One chromosome of training sequence: codes, repeat flags (or None) and the region kept out of it."""

    name: str
    codes: np.ndarray
    repeats: np.ndarray | None
    exclude: Region


def load_sources(recipe: Recipe, fasta: Path, chrx: Path = CHRX, log=print) -> list[Source]:
    sources = [(fasta, VALIDATION_REGION)] + ([(chrx, TEST_REGION)] if recipe.train_on_chrx else [])
    loaded = []
    for path, exclude in sources:
        codes = read_chromosome(path)
        if path == fasta and len(codes) <= VALIDATION_REGION.end:  # a small test slice: validate on its first fifth
            exclude = Region(0, len(codes) // 5)
        repeats = None
        if recipe.repeat_weight != 1.0:
            from .repeats import repeat_annotation

            repeats = repeat_annotation(path, log=log).mask()
            if len(repeats) != len(codes):
                raise ValueError(f"{path}: repeat mask covers {len(repeats):,} bp, the sequence {len(codes):,} bp")
        loaded.append(Source(str(path), codes, repeats, exclude))
    return loaded


def sample_batch(sources: list[Source], count: int, length: int, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """Training windows from all sources, in proportion to their usable length; their repeat flags too."""
    if len(sources) == 1:  # the same random draws as before sources existed: earlier phases reproduce
        counts = [count]
    else:
        usable = np.array([len(s.codes) - (s.exclude.end - s.exclude.start) for s in sources], dtype=float)
        counts = rng.multinomial(count, usable / usable.sum())
    windows, flags = [], []
    for source, n in zip(sources, counts):
        if n == 0:
            continue
        drawn = sample_windows(source.codes, int(n), length, rng, exclude=source.exclude,
                               reverse_complement_rate=0.5, annotation=source.repeats)
        if source.repeats is None:
            windows.append(drawn)
        else:
            windows.append(drawn[0])
            flags.append(drawn[1])
    return np.concatenate(windows), (np.concatenate(flags) if flags else None)


def token_flags(flags: np.ndarray, shape: torch.Size) -> torch.Tensor:
    """Per-base repeat flags placed on the token grid ([CLS] and [SEP] are not repeats)."""
    tokens = torch.zeros(shape, dtype=torch.bool)
    tokens[:, 1:-1] = torch.from_numpy(flags.astype(bool))
    return tokens


def position_weights(flags: np.ndarray | None, shape: torch.Size, repeat_weight: float) -> torch.Tensor:
    """Per-token loss weights, [CLS] and [SEP] included: `repeat_weight` on repeat bases, 1 elsewhere."""
    weights = torch.ones(shape)
    if flags is not None:
        weights[token_flags(flags, shape)] = repeat_weight
    return weights


def weighted_masked_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """sum(w * cross-entropy) / sum(w) over the targets, and the per-target cross-entropy (nats).

    `logits` are either for every token (batch, tokens, vocab) or, as ModernBERT's sparse prediction returns
    them when given labels, for the targets only, in row-major order of `labels`.
    """
    targets = labels != IGNORE_INDEX
    if logits.dim() == 3:
        logits = logits[targets]
    cross_entropy = F.cross_entropy(logits.float(), labels[targets], reduction="none")
    target_weights = weights.to(cross_entropy.device)[targets]
    return (target_weights * cross_entropy).sum() / target_weights.sum(), cross_entropy


def hardware_description(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({platform.processor() or platform.machine()}), {torch.get_num_threads()} threads"


def uses_bf16(device: torch.device, recipe: Recipe) -> bool:
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and recipe.cpu_bf16 and bool(cpu_has_native_bf16())


def learning_rate(step: int, recipe: Recipe) -> float:
    """Linear warm-up, then cosine decay to 10 % of the peak."""
    if step < recipe.warmup_steps:
        return recipe.learning_rate * (step + 1) / recipe.warmup_steps
    progress = (step - recipe.warmup_steps) / max(1, recipe.steps - recipe.warmup_steps)
    return recipe.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


@torch.inference_mode()
def masked_loss_bits(model, batches, device) -> dict[str, float]:
    """Validation loss in bits per target: all targets, and (where flags exist) non-repeat and repeat ones."""
    model.eval()
    losses, repeat_flags = [], []
    for input_ids, labels, flags in batches:
        labels = labels.to(device)
        logits = model(input_ids=input_ids.to(device), labels=labels).logits
        _, cross_entropy = weighted_masked_loss(logits, labels, torch.ones(labels.shape))
        losses.append(cross_entropy.cpu())
        if flags is not None:
            repeat_flags.append(flags[(labels != IGNORE_INDEX).cpu()])
    model.train()
    bits = torch.cat(losses) / math.log(2)
    result = {"validation_loss_bits": float(bits.mean())}
    if repeat_flags:
        repeat = torch.cat(repeat_flags)
        result["validation_loss_nonrepeat_bits"] = float(bits[~repeat].mean())
        result["validation_loss_repeat_bits"] = float(bits[repeat].mean())
        result["validation_repeat_fraction"] = float(repeat.float().mean())
    return result


def save(model, out: Path, metrics: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    save_tokenizer(out)
    (out / "training_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


def train(recipe: Recipe, out: Path, fasta: Path = CHR20, device_name: str = "auto", log=print,
          init_from: Path | None = None, chrx: Path = CHRX) -> dict:
    """One phase of training; `init_from` starts from a saved model's weights instead of random ones.

    At every evaluation the weights so far are saved to `out/checkpoint` (with their metrics), so a run
    cut short can still be evaluated.
    """
    torch.manual_seed(recipe.seed)
    rng = np.random.default_rng(recipe.seed)
    generator = torch.Generator().manual_seed(recipe.seed)
    device = torch.device("cuda" if device_name == "auto" and torch.cuda.is_available() else
                          ("cpu" if device_name == "auto" else device_name))
    use_bf16 = uses_bf16(device, recipe)

    sources = load_sources(recipe, fasta, chrx, log=log)
    codes, validation = sources[0].codes, sources[0].exclude
    log(f"read {', '.join(f'{len(s.codes):,} bp from {s.name} (excluding {s.exclude})' for s in sources)}; "
        f"validation region {validation}; {'bf16 autocast' if use_bf16 else 'fp32'} on {device}; "
        f"repeat weight {recipe.repeat_weight}")

    drawn = sample_windows(codes, min(VALIDATION_WINDOWS, 4 * recipe.batch_size), recipe.window_bp,
                           np.random.default_rng(0), within=validation, annotation=sources[0].repeats)
    val_codes, val_flags = drawn if sources[0].repeats is not None else (drawn, None)
    val_generator = torch.Generator().manual_seed(0)
    val_batches = []
    for chunk in np.array_split(np.arange(len(val_codes)), max(1, len(val_codes) // recipe.batch_size)):
        input_ids, labels = mask_tokens(torch.from_numpy(val_codes[chunk]), recipe.mask_rate, val_generator)
        flags = None if val_flags is None else token_flags(val_flags[chunk], labels.shape)
        val_batches.append((input_ids, labels, flags))

    if init_from is not None:
        model = ModernBertForMaskedLM.from_pretrained(init_from).to(device)
        log(f"starting from the weights in {init_from}")
    else:
        model = ModernBertForMaskedLM(recipe.model_config()).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate,
                                  weight_decay=recipe.weight_decay, betas=(0.9, 0.98))
    history: list[dict] = []
    started = time.time()
    model.train()

    def metrics() -> dict:
        return {
            "recipe": recipe.as_dict(),
            "parameters": sum(p.numel() for p in model.parameters()),
            "training_data": "; ".join(f"{s.name} excluding {s.exclude.start:,}-{s.exclude.end:,}" for s in sources)
            + ", both strands",
            "training_sources": [{"fasta": s.name, "bp": len(s.codes), "excluded": [s.exclude.start, s.exclude.end],
                                  "repeat_fraction": None if s.repeats is None else float(s.repeats.mean())}
                                 for s in sources],
            "validation_region": [validation.start, validation.end],
            "tokens_seen": (history[-1]["step"] if history else 0) * recipe.batch_size * recipe.window_bp,
            "hardware": hardware_description(device),
            "bf16": use_bf16,
            "wall_time_s": round(time.time() - started, 1),
            "init_from": str(init_from) if init_from else None,
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "history": history,
        }

    for step in range(recipe.steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, recipe)
        windows, flags = sample_batch(sources, recipe.batch_size, recipe.window_bp, rng)
        input_ids, labels = mask_tokens(torch.from_numpy(windows), recipe.mask_rate, generator)
        labels = labels.to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            logits = model(input_ids=input_ids.to(device), labels=labels).logits
        loss, _ = weighted_masked_loss(logits, labels, position_weights(flags, labels.shape, recipe.repeat_weight))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if (step + 1) % recipe.eval_every == 0 or step + 1 == recipe.steps:
            entry = {"step": step + 1, "train_loss_bits": loss.item() / math.log(2),
                     **masked_loss_bits(model, val_batches, device),
                     "elapsed_s": round(time.time() - started, 1)}
            history.append(entry)
            log(json.dumps(entry))
            if step + 1 < recipe.steps:
                save(model, out / "checkpoint", metrics())

    result = metrics()
    save(model, out, result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="cpu")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fasta", type=Path, default=CHR20)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, help="override the recipe's step count")
    parser.add_argument("--init-from", type=Path, help="start from this model folder's weights")
    args = parser.parse_args()
    recipe = RECIPES[args.recipe]
    if args.steps:
        from dataclasses import replace

        recipe = replace(recipe, steps=args.steps)
    train(recipe, args.out, args.fasta, args.device, log=lambda msg: print(msg, flush=True), init_from=args.init_from)


if __name__ == "__main__":
    from .repeats import MaskToolMissing

    try:
        main()
    except MaskToolMissing as error:  # one line saying what to install, not a traceback
        raise SystemExit(f"dnalens-training: error: {error}") from None
