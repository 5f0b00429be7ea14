#!/usr/bin/env bash
# The expected outputs of the scatter workflows (galaxy_tools/workflows/dnalens-scatter-*.gxwf.yml): the UNSHARDED
# runs of test-data/scatter_snvs.vcf (141 SNVs, two chunks of the variants grid) and of
# test-data/scatter_windows.fa (298 records, two chunks of the embed grid), as the Galaxy tools run them, written as
# one regular expression per line (Galaxy's compare: re_match): every line literal, except the input's name in
# the parameters line, which is Galaxy's dataset file name. The workflows' split + mapped parts + merge must give
# these bytes.   bash scripts/make_scatter_expected.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ln -s "$ROOT/test-data/chr20_excerpt.fa" "$WORK/reference.fa"  # the tool links a history genome so
cp test-data/scatter_snvs.vcf "$WORK/input.dat"
(cd "$WORK" && "$ROOT/.venv/bin/dnalens" variants --vcf input.dat --reference reference.fa --window 101 \
  --vcf-out whole.vcf -o whole.tsv --scores l2,cosine,llr --model default --pooling mean --layer -1 \
  --device auto --threads 1 --quiet)
# dnalens-scatter-embed.gxwf.yml: the unsharded embeddings of test-data/scatter_windows.fa (298 records, two
# chunks of the embed grid), as the embeddings tool runs it with the built-in model.
cp test-data/scatter_windows.fa "$WORK/windows.dat"
(cd "$WORK" && "$ROOT/.venv/bin/dnalens" embed windows.dat -o embeddings.tsv --endpoint '' --model default \
  --pooling mean --layer -1 --device auto --threads 1 --quiet)
for pair in "whole.tsv scatter_snvs_scores.tsv.re" "whole.vcf scatter_snvs_annotated.vcf.re" \
            "embeddings.tsv scatter_windows_embeddings.tsv.re"; do
  set -- $pair
  "$ROOT/.venv/bin/python" - "$WORK/$1" "test-data/$2" <<'PY'
import re, sys
source, target = sys.argv[1:3]
with open(source) as handle, open(target, "w") as out:
    for line in handle:
        pattern = re.escape(line.rstrip("\n")) + "$"
        for name in ("input.dat", "windows.dat"):
            pattern = pattern.replace(re.escape(f'"input": "{name}"'), '"input":\\ "[^"]+"')
        out.write(pattern + "\n")
PY
done
