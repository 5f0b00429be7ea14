"""Small operation chunks, so the small test files hold several shards, resume parts or torchrun ranks' work
(test_shards, test_resume, test_distributed): one table for the in-process fixture and for the programs that run
dnalens in a subprocess."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SMALL_CHUNKS = (("dnalens.ops.embed", "CHUNK", 4), ("dnalens.jobs.embed", "CHUNK", 4),
                ("dnalens.ops.predict", "SITES_PER_BATCH", 16), ("dnalens.jobs.predict", "SITES_PER_BATCH", 16),
                ("dnalens.ops.variant_inputs", "CASES_PER_CHUNK", 4), ("dnalens.ops.variants", "CHUNK", 4),
                ("dnalens.ops.mutagenesis", "POSITIONS_PER_CHUNK", 8),
                ("dnalens.jobs.mutagenesis", "POSITIONS_PER_CHUNK", 8))


def set_small_chunks(setter: Callable = setattr, cases: int = 4) -> None:
    """setter: setattr, or monkeypatch.setattr; cases: variants per chunk."""
    for module, name, size in SMALL_CHUNKS:
        setter(import_module(module), name, cases if module.startswith("dnalens.ops.variant") else size)


def small_chunks_program(setup: str = "", cases: int = 4) -> str:
    """A Python program that sets the small chunks, runs `setup` (e.g. a stand-in for a job) and then the dnalens
    command line with its own arguments; the code under test is the installed package's, unchanged."""
    return (f"import sys\nsys.path.insert(0, {str(TESTS)!r})\nfrom chunk_sizes import set_small_chunks\n"
            f"set_small_chunks(cases={cases})\n{setup}\nfrom dnalens.cli import main\nsys.exit(main(sys.argv[1:]))\n")
