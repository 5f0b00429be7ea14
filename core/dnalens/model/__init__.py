"""Loading DNA language models (loading.py) and hiding the differences between their families
(language_model.py)."""

from .language_model import BASE, CAUSAL, MASKED, LanguageModel
from .loading import load_model

__all__ = ["BASE", "CAUSAL", "MASKED", "LanguageModel", "load_model"]
