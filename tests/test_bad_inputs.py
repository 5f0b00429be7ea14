"""R1: the bad-input corpus. Each bad case: one clear line on stderr naming the problem, exit 1, no
traceback, no output left behind. Each unusual-but-valid case: correct output, with a warning where due."""

import json
from pathlib import Path

import pytest

from conftest import TEST_DATA

HERE = Path(__file__).resolve().parent / "bad_inputs"
CASES = json.loads((HERE / "cases.json").read_text())


def expand(args: list[str], out: Path) -> list[str]:
    values = {"here": str(HERE), "data": str(TEST_DATA), "model": str(TEST_DATA / "tiny-model"), "out": str(out)}
    return [arg.format(**values) for arg in args]


def test_the_corpus_is_large_enough():
    assert sum(1 for case in CASES if "error" in case) >= 40


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(case, run_cli, tmp_path):
    out = tmp_path / "out.tsv"
    result = run_cli(*expand(case["args"], out))
    assert "Traceback" not in result.err
    if "error" in case:
        lines = result.err.strip().splitlines()
        assert result.code == 1, result.err
        assert len(lines) == 1, result.err
        assert lines[0].startswith("dnalens: error: ")
        for words in case["error"]:
            assert words in lines[0], f"expected {words!r} in: {lines[0]}"
        assert list(tmp_path.iterdir()) == []  # not even a temporary file
        assert not any(p.name.endswith(".part") or ".part." in p.name for p in HERE.iterdir())
    else:
        assert result.code == 0, result.err
        if case.get("warning"):
            assert "dnalens: warning: " in result.err and case["warning"] in result.err
        if out.exists():
            assert case["output_contains"] in out.read_text()
        else:
            assert case["output_contains"] in result.out
