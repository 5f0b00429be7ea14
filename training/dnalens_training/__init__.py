"""Training and evaluation of the default DNALens model (see training/README.md)."""
