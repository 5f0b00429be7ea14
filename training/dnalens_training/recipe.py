"""Named training configurations: the architecture and the optimisation schedule together."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from transformers import ModernBertConfig

from .tokenizer import CLS_ID, MASK_ID, MAX_LENGTH_BP, MODEL_VOCAB_SIZE, PAD_ID, SEP_ID


@dataclass(frozen=True)
class Recipe:
    name: str
    hidden_size: int
    layers: int
    heads: int
    intermediate_size: int
    steps: int
    batch_size: int
    learning_rate: float
    warmup_steps: int
    window_bp: int = MAX_LENGTH_BP
    mask_rate: float = 0.15
    weight_decay: float = 0.01
    eval_every: int = 250
    seed: int = 20
    # bf16 autocast on CPUs with native bf16 (AVX512-BF16/AMX): 1.5x faster steps here; GPUs always use it.
    cpu_bf16: bool = False
    # Loss weight of positions in repeats/low-complexity sequence (windowmasker + dustmasker), as GPN does;
    # 1.0 is the plain masked-LM loss. The loss is sum(w * cross-entropy) / sum(w) over the masked targets.
    repeat_weight: float = 1.0
    # Also train on chrX outside the held-out test region (chrX 20-30 Mb).
    train_on_chrx: bool = False
    # A further phase run from this recipe's weights (a fresh optimiser and schedule), or None.
    then: str | None = None

    def model_config(self) -> ModernBertConfig:
        return ModernBertConfig(
            vocab_size=MODEL_VOCAB_SIZE,
            hidden_size=self.hidden_size,
            num_hidden_layers=self.layers,
            num_attention_heads=self.heads,
            intermediate_size=self.intermediate_size,
            # Room beyond the trained 512 bp; the tokenizer's model_max_length is what DNALens enforces.
            max_position_embeddings=1024,
            pad_token_id=PAD_ID,
            bos_token_id=CLS_ID,
            eos_token_id=SEP_ID,
            cls_token_id=CLS_ID,
            sep_token_id=SEP_ID,
            mask_token_id=MASK_ID,
            global_attn_every_n_layers=2,
            local_attention=128,
            # Only masked positions go through the decoder: cheaper and the same loss.
            sparse_prediction=True,
            tie_word_embeddings=True,
        )

    def as_dict(self) -> dict:
        return asdict(self)


RECIPES = {
    # A few seconds: for the test suite.
    "tiny": Recipe("tiny", 32, 2, 2, 64, steps=30, batch_size=8, learning_rate=3e-3, warmup_steps=5,
                   window_bp=64, eval_every=10),
    # About 90 minutes on 2 CPU cores.
    "cpu": Recipe("cpu", 192, 4, 3, 384, steps=2600, batch_size=32, learning_rate=2e-3, warmup_steps=150,
                  then="cpu-continued"),
    # Phase 2 of "cpu": the validation loss was still falling when phase 1's schedule ended.
    "cpu-continued": Recipe("cpu-continued", 192, 4, 3, 384, steps=800, batch_size=32, learning_rate=4e-4,
                            warmup_steps=50, eval_every=200, seed=21, then="cpu-polish"),
    # Phase 3: phase 2's validation loss was still falling (1.7127 -> 1.7038 bits over its 800 steps).
    "cpu-polish": Recipe("cpu-polish", 192, 4, 3, 384, steps=1000, batch_size=32, learning_rate=3e-4,
                         warmup_steps=50, eval_every=250, seed=22, then="cpu-polish-2"),
    # Phase 4: phase 3 still gained (validation 1.7038 -> 1.6987 bits, chrX 1.7353 -> 1.7300).
    "cpu-polish-2": Recipe("cpu-polish-2", 192, 4, 3, 384, steps=1000, batch_size=32, learning_rate=2e-4,
                           warmup_steps=50, eval_every=250, seed=23, then="cpu-long"),
    # Phase 5: a longer run (phase 4 still gained 0.003 bits), affordable with bf16 autocast on the CPU.
    "cpu-long": Recipe("cpu-long", 192, 4, 3, 384, steps=4000, batch_size=32, learning_rate=3e-4,
                       warmup_steps=100, eval_every=500, seed=24, cpu_bf16=True),
    # A sixth phase tried in issue 16 (run with --init-from the shipped weights; not chained, not shipped:
    # no gain in ClinVar AUROC, +0.008 bits/nt on held-out chrX after 300 of its 450 steps; see the model card):
    # repeats down-weighted to 0.1 in the loss, and chrX outside 20-30 Mb added. Sized for an hour at the 4.2 s
    # per step (32 x 512 bp, bf16 autocast) measured first; the 2 cores were then shared and it ran 12 s per step.
    "cpu-repeat": Recipe("cpu-repeat", 192, 4, 3, 384, steps=450, batch_size=32, learning_rate=3e-4,
                         warmup_steps=30, eval_every=150, seed=25, cpu_bf16=True, repeat_weight=0.1,
                         train_on_chrx=True),
    # For a lent GPU: a bigger model and many more tokens (bf16 autocast).
    "gpu": Recipe("gpu", 256, 8, 4, 512, steps=12000, batch_size=256, learning_rate=1.5e-3, warmup_steps=500,
                  eval_every=1000, repeat_weight=0.1, train_on_chrx=True),
}
