"""Train the default DNALens masked language model on human chromosome 20.

    python -m dnalens_training.train --recipe cpu --out build/default-model

Writes the model folder (safetensors, config, tokenizer) and `training_metrics.json`.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path

import numpy as np
import torch
import transformers
from transformers import ModernBertForMaskedLM

from dnalens.device import cpu_has_native_bf16

from .genome import Region, read_chromosome, sample_windows
from .masking import mask_tokens
from .recipe import RECIPES, Recipe
from .tokenizer import save_tokenizer

CHR20 = Path("/usr/share/doc/vt/examples/ref/20.fa.gz")
# Held out from training, used for the validation loss (GRCh37 chr20:58-60 Mb).
VALIDATION_REGION = Region(58_000_000, 60_000_000)
VALIDATION_WINDOWS = 256


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
def masked_loss_bits(model, batches, device) -> float:
    model.eval()
    total, count = 0.0, 0
    for input_ids, labels in batches:
        out = model(input_ids=input_ids.to(device), labels=labels.to(device))
        n = int((labels != -100).sum())
        total += float(out.loss) * n
        count += n
    model.train()
    return total / count / math.log(2)


def train(recipe: Recipe, out: Path, fasta: Path = CHR20, device_name: str = "auto", log=print,
          init_from: Path | None = None) -> dict:
    """One phase of training; `init_from` starts from a saved model's weights instead of random ones."""
    torch.manual_seed(recipe.seed)
    rng = np.random.default_rng(recipe.seed)
    generator = torch.Generator().manual_seed(recipe.seed)
    device = torch.device("cuda" if device_name == "auto" and torch.cuda.is_available() else
                          ("cpu" if device_name == "auto" else device_name))
    use_bf16 = uses_bf16(device, recipe)

    codes = read_chromosome(fasta)
    validation = VALIDATION_REGION if len(codes) > VALIDATION_REGION.end else Region(0, len(codes) // 5)
    log(f"read {len(codes):,} bp from {fasta}; validation region {validation}; "
        f"{'bf16 autocast' if use_bf16 else 'fp32'} on {device}")

    val_codes = sample_windows(codes, min(VALIDATION_WINDOWS, 4 * recipe.batch_size), recipe.window_bp,
                               np.random.default_rng(0), within=validation)
    val_generator = torch.Generator().manual_seed(0)
    val_batches = [mask_tokens(torch.from_numpy(chunk), recipe.mask_rate, val_generator)
                   for chunk in np.array_split(val_codes, max(1, len(val_codes) // recipe.batch_size))]

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
    for step in range(recipe.steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, recipe)
        windows = sample_windows(codes, recipe.batch_size, recipe.window_bp, rng, exclude=validation,
                                 reverse_complement_rate=0.5)
        input_ids, labels = mask_tokens(torch.from_numpy(windows), recipe.mask_rate, generator)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            loss = model(input_ids=input_ids.to(device), labels=labels.to(device)).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if (step + 1) % recipe.eval_every == 0 or step + 1 == recipe.steps:
            entry = {"step": step + 1, "train_loss_bits": loss.item() / math.log(2),
                     "validation_loss_bits": masked_loss_bits(model, val_batches, device),
                     "elapsed_s": round(time.time() - started, 1)}
            history.append(entry)
            log(json.dumps(entry))

    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    save_tokenizer(out)
    metrics = {
        "recipe": recipe.as_dict(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "training_data": f"{fasta} (GRCh37 chr20), both strands, validation region excluded",
        "validation_region": [validation.start, validation.end],
        "tokens_seen": recipe.steps * recipe.batch_size * recipe.window_bp,
        "hardware": hardware_description(device),
        "bf16": use_bf16,
        "wall_time_s": round(time.time() - started, 1),
        "init_from": str(init_from) if init_from else None,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "history": history,
    }
    (out / "training_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


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
    main()
