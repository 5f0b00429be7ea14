#!/usr/bin/env bash
# Promoter classification on DNABERT's prom-core set with the dnalens CLI (see docs/LEARNING.md).
#   bash scripts/reproduce_prom_core.sh [PROM_CORE_TSV] [OUT_DIR] [MODEL]
set -euo pipefail
DATA=${1:-../shared/data/prom_core/prom_core_dev_v2020-12.tsv}
OUT=${2:-build/prom_core}
MODEL=${3:-default}
mkdir -p "$OUT"
for estimator in ${ESTIMATORS:-logistic random-forest mlp}; do
  echo "== $estimator"
  dnalens classify train "$DATA" --model "$MODEL" --classifier "$estimator" --cv 5 --seed 0 \
    -o "$OUT/$estimator.json" --report "$OUT/$estimator.tsv" --plot "$OUT/$estimator.png" --quiet
  grep -v '^#' "$OUT/$estimator.tsv"
done
