"""Tiny randomly initialised models of each family, saved as real model folders (safetensors + tokenizer).

They exercise the same loading and inference code as real checkpoints, in milliseconds.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import torch
from tokenizers import Regex, Tokenizer, pre_tokenizers, processors
from tokenizers.models import BPE, WordLevel
from tokenizers.trainers import BpeTrainer
from transformers import (
    BertConfig,
    BertForMaskedLM,
    EsmConfig,
    EsmForMaskedLM,
    MixtralConfig,
    MixtralForCausalLM,
    MixtralForSequenceClassification,
    PreTrainedTokenizerFast,
)

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _framed(tokenizer: Tokenizer, cls_id: int, sep_id: int) -> None:
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])


def _fast(tokenizer: Tokenizer, max_length: int) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="[PAD]", unk_token="[UNK]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                   model_max_length=max_length, model_input_names=["input_ids", "attention_mask"])


def nucleotide_tokenizer(max_length: int = 130) -> PreTrainedTokenizerFast:
    vocab = {token: i for i, token in enumerate(SPECIALS + list("ACGTN"))}
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    _framed(tokenizer, vocab["[CLS]"], vocab["[SEP]"])
    return _fast(tokenizer, max_length)


def kmer_tokenizer(k: int = 6, max_length: int = 66) -> PreTrainedTokenizerFast:
    """Nucleotide-Transformer style: non-overlapping k-mers from the left, single letters where none fits."""
    words = SPECIALS + list("ACGTN") + ["".join(p) for p in itertools.product("ACGT", repeat=k)]
    vocab = {token: i for i, token in enumerate(words)}
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(f"[ACGT]{{{k}}}|."), behavior="isolated")
    _framed(tokenizer, vocab["[CLS]"], vocab["[SEP]"])
    return _fast(tokenizer, max_length)


def bpe_tokenizer(max_length: int = 128) -> PreTrainedTokenizerFast:
    """Mistral-DNA style BPE (its special tokens in its order), learned on a fixed random DNA corpus."""
    specials = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    rng = random.Random(7)
    corpus = ["".join(rng.choice("ACGT") for _ in range(400)) for _ in range(50)]
    tokenizer = Tokenizer(BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(corpus, BpeTrainer(vocab_size=64, special_tokens=specials,
                                                     initial_alphabet=list("ACGTN"), show_progress=False))
    _framed(tokenizer, tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]"))
    return _fast(tokenizer, max_length)


def _save(model, tokenizer, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


def masked_nucleotide_model(folder: Path) -> Path:
    torch.manual_seed(1)
    tokenizer = nucleotide_tokenizer()
    config = BertConfig(vocab_size=16, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=130, pad_token_id=0)
    return _save(BertForMaskedLM(config), tokenizer, folder)


def masked_kmer_model(folder: Path) -> Path:
    torch.manual_seed(2)
    tokenizer = kmer_tokenizer()
    config = EsmConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=64, max_position_embeddings=66, position_embedding_type="rotary",
                       pad_token_id=tokenizer.pad_token_id, mask_token_id=tokenizer.mask_token_id,
                       token_dropout=False)
    return _save(EsmForMaskedLM(config), tokenizer, folder)


def _mixtral_config(tokenizer) -> MixtralConfig:
    return MixtralConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=32, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2,
                         max_position_embeddings=128, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id, num_labels=2)


def causal_moe_model(folder: Path) -> Path:
    torch.manual_seed(3)
    tokenizer = bpe_tokenizer()
    return _save(MixtralForCausalLM(_mixtral_config(tokenizer)), tokenizer, folder)


def base_model_without_lm_head(folder: Path) -> Path:
    """Like the real Mistral-DNA promoter checkpoint: a classification head, no language-model head."""
    torch.manual_seed(4)
    tokenizer = bpe_tokenizer()
    return _save(MixtralForSequenceClassification(_mixtral_config(tokenizer)), tokenizer, folder)


FACTORIES = {
    "masked_nucleotide": masked_nucleotide_model,
    "masked_kmer": masked_kmer_model,
    "causal_moe": causal_moe_model,
    "base_no_head": base_model_without_lm_head,
}
