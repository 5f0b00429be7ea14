"""Training and evaluation of the default DNALens model (see training/README.md)."""

import dnalens  # noqa: F401  (first: torch's OpenMP threads wait passively, as in every DNALens process)
