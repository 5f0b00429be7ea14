"""Loading DNA language models and hiding the differences between their families."""

from .language_model import BASE, CAUSAL, MASKED, LanguageModel, load_model

__all__ = ["BASE", "CAUSAL", "MASKED", "LanguageModel", "load_model"]
