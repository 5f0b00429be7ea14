"""The code stays ruff-clean (the rules are in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
                    reason="ruff is not installed")
def test_ruff_reports_nothing():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    process = subprocess.run([ruff, "check", "--output-format", "concise", "core", "gui", "training", "tests",
                              "scripts", "bench"], cwd=ROOT, capture_output=True, text=True)
    assert process.returncode == 0, process.stdout + process.stderr


def test_galaxy_test_tables_point_inside_test_data():
    """Galaxy's data manager tests append rows to the tables they read; the test script gives Galaxy copies,
    so the committed .loc files keep only their own relative rows (and the servers table only the placeholder
    that scripts/galaxy_test.sh replaces with its test server's URL)."""
    for loc in (ROOT / "test-data").glob("*.loc"):
        rows = [line.split("\t") for line in loc.read_text().splitlines() if line and not line.startswith("#")]
        assert rows, loc
        if loc.name == "dnalens_servers.loc":
            assert [row[-1] for row in rows] == ["__DNALENS_TEST_SERVER_URL__"], loc
            continue
        assert all(row[-1].startswith("${__HERE__}/") for row in rows), loc
