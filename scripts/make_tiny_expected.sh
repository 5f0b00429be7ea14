#!/usr/bin/env bash
# The expected outputs of the Galaxy tools' server tests (galaxy_tools/server_tests/, appended to the tools only by
# scripts/galaxy_test.sh, which serves test-data/tiny-model with `dnalens serve`): what the same commands write
# with that model loaded locally, in this environment, so the tests check that a server computes what a local run
# does. The CLI runs the tools' commands, and each file is written as one regular expression for the whole output
# (Galaxy's compare: re_match_multiline): every line literal, numbers included, except the model's folder (a
# server gives only its name), the library versions (`# versions: .*`), the input's dataset name, and the
# `# endpoint:` line a server run adds (its port is random). Rerun after a change to the model, the outputs, or
# torch/transformers in .venv; the real tool files' own tests assert only what holds on any versions and CPU.
#   bash scripts/make_tiny_expected.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
MODEL=(--endpoint '' --model "$ROOT/test-data/tiny-model" --trust-installed-code --device auto --threads 1 --quiet)
cp test-data/sequences.fa "$WORK/input.dat"
cp test-data/exon_ref.fa "$WORK/ref.dat"
cp test-data/exon_alt.fa "$WORK/alt.dat"
cp test-data/chr20_excerpt.fa "$WORK/chr20_excerpt.fa"  # the installed genome's file name, as the tool passes it
cd "$WORK"
"$ROOT/.venv/bin/dnalens" embed input.dat -o embed.tsv "${MODEL[@]}" --pooling mean --layer -1
"$ROOT/.venv/bin/dnalens" predict input.dat -o predict.tsv "${MODEL[@]}" --positions 1,30-31
"$ROOT/.venv/bin/dnalens" variants --ref-fasta ref.dat --alt-fasta alt.dat --pair-by order --max-differences 10 \
  -o variants.tsv --scores l2,cosine,llr "${MODEL[@]}" --pooling mean --layer -1
"$ROOT/.venv/bin/dnalens" mutagenesis --reference chr20_excerpt.fa --region 'chr20:1,001-1,020' -o mutagenesis.tsv \
  "${MODEL[@]}"
for pair in "embed.tsv tiny_embed.tsv.re" "predict.tsv tiny_predict.tsv.re" "variants.tsv tiny_exon_variants.tsv.re" \
            "mutagenesis.tsv tiny_mutagenesis.tsv.re"; do
  set -- $pair
  "$ROOT/.venv/bin/python" - "$1" "$ROOT/test-data/$2" <<'PY'
import re, sys
source, target = sys.argv[1:3]
endpoint = re.escape("# endpoint: http://127.0.0.1:") + "[0-9]+" + re.escape(" (computed by that DNALens server)")
patterns = []
for line in open(source).read().splitlines():
    pattern = re.escape(line)
    if line.startswith("# model: "):
        pattern = re.escape("# model: ") + "(?:.*/)?" + re.escape("tiny-model")  # a server names no folder
    elif line.startswith("# versions: "):  # a server run's endpoint line comes just before it
        pattern = f"{endpoint}\\n" + re.escape("# versions: ") + ".*"
    elif line.startswith("# parameters: "):
        head, rest = line.split('"input": "', 1)  # Galaxy's dataset file name(s)
        pattern = re.escape(head + '"input": "') + '[^"]+' + re.escape('"' + rest.split('"', 1)[1])
    patterns.append(pattern + "\n")
open(target, "w").write("".join(patterns) + "\\Z")
PY
done
