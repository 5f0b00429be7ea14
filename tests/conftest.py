"""Shared fixtures: the tiny model zoo, sample sequences, and a helper that runs the CLI in-process."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from dnalens.cli import main
from model_zoo import FACTORIES

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "test-data"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def zoo(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("zoo")
    return {name: factory(base / name) for name, factory in FACTORIES.items()}


@pytest.fixture(scope="session")
def loaded(zoo):
    """Loaded models by family name, cached for the session."""
    from dnalens.model import load_model

    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = load_model(str(zoo[name]), device="cpu")
        return cache[name]

    return get


def random_dna(length: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("ACGT") for _ in range(length))


@pytest.fixture
def write_fasta(tmp_path):
    def write(records: dict[str, str] | list[tuple[str, str]], name: str = "input.fa") -> Path:
        items = records.items() if isinstance(records, dict) else records
        path = tmp_path / name
        path.write_text("".join(f">{key}\n{value}\n" for key, value in items))
        return path

    return write


class CliResult:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def run_cli(capsys):
    def run(*args: str) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
