"""DNALens desktop app (PySide6)."""
