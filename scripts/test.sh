#!/usr/bin/env bash
# The whole test suite, from a clean clone: a virtualenv with the test dependencies, pytest, then
# planemo lint + planemo test of the Galaxy tools and workflow against a real local Galaxy.
#   bash scripts/test.sh            # everything (CI runs this)
#   bash scripts/test.sh --quick    # pytest only
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
# torch is pinned here, not in pyproject.toml, so a machine with a local CPU wheel keeps it.
.venv/bin/pip install -q torch==2.13.0 -e ".[test,families,serve]"
# Caduceus on a CPU: mamba_ssm without its CUDA kernels (and triton, which it imports; DNABERT-2's Triton kernel
# is then importable too, as on the machines where it used to crash). DNALens runs mamba_ssm's reference ops.
.venv/bin/pip install -q wheel
MAMBA_SKIP_CUDA_BUILD=TRUE MAMBA_FORCE_BUILD=TRUE .venv/bin/pip install -q --no-deps --no-build-isolation \
  mamba-ssm==2.3.2.post1 "triton>=3.5"
.venv/bin/python -m pytest
if [ "${1:-}" != "--quick" ]; then
  bash scripts/galaxy_test.sh
fi
