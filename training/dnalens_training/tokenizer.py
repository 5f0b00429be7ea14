"""The default model's tokenizer: one token per nucleotide, loadable by `AutoTokenizer` without remote code."""

from __future__ import annotations

from pathlib import Path

from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
from tokenizers.models import WordLevel
from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
NUCLEOTIDE_TOKENS = ["A", "C", "G", "T", "N"]
VOCAB = {token: index for index, token in enumerate(SPECIAL_TOKENS + NUCLEOTIDE_TOKENS)}
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(len(SPECIAL_TOKENS))
# Token id of training code c (A=0 … N=4) is FIRST_NUCLEOTIDE_ID + c.
FIRST_NUCLEOTIDE_ID = len(SPECIAL_TOKENS)
# The config's vocabulary is padded to a multiple of 8 for faster matmuls; ids past the vocab are never produced.
MODEL_VOCAB_SIZE = 16
MAX_LENGTH_BP = 512


def build_tokenizer() -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(WordLevel(VOCAB, unk_token="[UNK]"))
    # Soft-masked (lower-case) sequence is the same DNA: upper-case it inside the tokenizer too.
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Replace(letter.lower(), letter) for letter in NUCLEOTIDE_TOKENS]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", CLS_ID), ("[SEP]", SEP_ID)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=MAX_LENGTH_BP + 2,
        model_input_names=["input_ids", "attention_mask"],
    )


def save_tokenizer(folder: Path) -> None:
    build_tokenizer().save_pretrained(folder)
