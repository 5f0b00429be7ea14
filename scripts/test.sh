#!/usr/bin/env bash
# The whole test suite, from a clean clone: a virtualenv with the test dependencies, pytest, then
# planemo lint + planemo test of the Galaxy tools and workflow against a real local Galaxy.
#   bash scripts/test.sh            # everything (CI runs this)
#   bash scripts/test.sh --quick    # pytest only
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
# torch is pinned here, not in pyproject.toml, so a machine with a local CPU wheel keeps it.
.venv/bin/pip install -q torch==2.13.0 -e ".[test]"
.venv/bin/python -m pytest
if [ "${1:-}" != "--quick" ]; then
  bash scripts/galaxy_test.sh
fi
