"""DNALens: answers from DNA language models — embeddings, nucleotide probabilities and variant effects."""

__version__ = "0.1.0"
