"""DNALens desktop app (PySide6)."""

import dnalens  # noqa: F401  (first: it sets torch's OpenMP wait policy, which must precede torch's import)
