#!/usr/bin/env bash
# Runs every dnalens command on test-data and keeps all outputs in OUT_DIR, so that a refactor can be
# checked to change no output:   bash scripts/output_snapshot.sh build/before
#                                 (change the code)
#                                 bash scripts/output_snapshot.sh build/after
#                                 bash scripts/output_snapshot.sh --compare build/before build/after
# --compare ignores only the provenance lines that name package versions (`# versions:`, `# dnalens X`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == --compare ]]; then
  # Version lines aside; in JSON, the skops payload (zip timestamps and object ids change on every run; the
  # predictions made with it are compared) and the output folder's own name.
  exec python3 - "$2" "$3" <<'PY'
import json, re, sys
from pathlib import Path
before, after = Path(sys.argv[1]), Path(sys.argv[2])
VERSION = re.compile(r"^(# versions:|# dnalens |##dnalensVersion)")
def normalised(path: Path, root: Path):
    if path.suffix in {".tsv", ".vcf", ".log"}:
        return [line for line in path.read_text().splitlines() if not VERSION.match(line)]
    if path.suffix == ".json":
        text = path.read_text().replace(str(root.resolve()), "OUT")
        document = json.loads(text)
        if isinstance(document, dict):
            document.pop("skops", None)
        return document
    return path.read_bytes()
names_before = {p.name for p in before.iterdir()}
names_after = {p.name for p in after.iterdir()}
problems = [f"missing after: {n}" for n in sorted(names_before - names_after)]
problems += [f"new after: {n}" for n in sorted(names_after - names_before)]
problems += [f"differs: {n}" for n in sorted(names_before & names_after)
             if normalised(before / n, before) != normalised(after / n, after)]
print("\n".join(problems) or f"all {len(names_before)} outputs identical (version lines aside)")
sys.exit(1 if problems else 0)
PY
fi

OUT=${1:?usage: output_snapshot.sh OUT_DIR}
rm -rf "$OUT" && mkdir -p "$OUT"
T=test-data
TINY=$T/tiny-model
MISTRAL=../shared/model_zoo/mistral_dna/model
run() {  # name, then the dnalens arguments; stderr is kept (warnings are part of the behaviour)
  local name=$1; shift
  if dnalens --quiet "$@" > "$OUT/$name.stdout.log" 2> "$OUT/$name.stderr.log"; then echo "ok $name"; else echo "exit $? $name" | tee -a "$OUT/$name.stderr.log"; fi
}

run embed_tiny embed $T/sequences.fa --model $TINY -o "$OUT/embed_tiny.tsv" --npz "$OUT/embed_tiny.npz" \
  --heatmap "$OUT/embed_tiny_heatmap.png" --projection "$OUT/embed_tiny_pca.png" --labels $T/sequence_labels.tsv
run embed_default embed $T/sequences.fa -o "$OUT/embed_default.tsv" --layer all-mean --pooling max \
  --rc-average --window 100 --stride 50
run embed_cls embed $T/sequences.fa --model $TINY -o "$OUT/embed_cls.tsv" --pooling cls --layer 0:2
run predict_positions predict $T/sequences.fa -o "$OUT/predict_positions.tsv" --positions 5,17,30-40 \
  --plot "$OUT/predict_positions.png"
run predict_all predict $T/exon_ref.fa --model $TINY -o "$OUT/predict_all.tsv" --all-positions \
  --plot "$OUT/predict_all.png"
run variants_pairs variants --ref-fasta $T/exon_ref.fa --alt-fasta $T/exon_alt.fa -o "$OUT/variants_pairs.tsv"
run variants_pairs_rc variants --ref-fasta $T/intron_ref.fa --alt-fasta $T/intron_alt.fa --pair-by id \
  --rc-average --scores llr,l2 -o "$OUT/variants_pairs_rc.tsv"
run variants_unrelated variants --ref-fasta $T/exon_ref.fa --alt-fasta $T/exon_alt_two_unrelated.fa \
  --model $TINY -o "$OUT/variants_unrelated.tsv"
run variants_vcf variants --vcf $T/variants.vcf --reference $T/chr20_excerpt.fa --window 101 \
  -o "$OUT/variants_vcf.tsv" --vcf-out "$OUT/variants_vcf.vcf"
run variants_vcf_gz variants --vcf $T/variants.vcf --reference $T/chr20_excerpt.fa --model $TINY \
  -o "$OUT/variants_vcf_gz.tsv" --vcf-out "$OUT/variants_vcf_gz.vcf.gz"
if [[ -d $MISTRAL ]]; then
  run variants_causal variants --vcf $T/variants.vcf --reference $T/chr20_excerpt.fa --model $MISTRAL \
    --trust-remote-code --rc-average -o "$OUT/variants_causal.tsv"
  run predict_causal predict $T/sequences.fa --model $MISTRAL --trust-remote-code --positions 3,9 \
    -o "$OUT/predict_causal.tsv"
fi
run compare_groups compare $T/exon_scores.tsv $T/intron_scores.tsv --group-names exon,intron --value llr \
  -o "$OUT/compare_groups.tsv" --plot "$OUT/compare_groups.png"
run variants_pairs_tiny variants --ref-fasta $T/exon_ref.fa --alt-fasta $T/exon_alt.fa --model $TINY \
  -o "$OUT/variants_pairs_tiny.tsv"
run compare_paired compare "$OUT/variants_pairs.tsv" "$OUT/variants_pairs_tiny.tsv" --group-names default,tiny --value l2 \
  --paired-by id -o "$OUT/compare_paired.tsv"
run tokenize tokenize $T/sequences.fa -o "$OUT/tokenize.tsv" --one-hot "$OUT/tokenize_onehot.npz"
run classify_train classify train $T/sequences.fa --labels $T/sequence_labels.tsv --cv 3 --model $TINY \
  -o "$OUT/classifier.json" --report "$OUT/classify_report.tsv" --plot "$OUT/classify.png"
run classify_predict classify predict "$OUT/classifier.json" $T/prom_core_heldout.fa --model $TINY \
  -o "$OUT/classify_predict.tsv"
run regress_train regress train $T/isochore_gc.tsv --cv 3 --model $TINY -o "$OUT/regressor.json" \
  --report "$OUT/regress_report.tsv" --plot "$OUT/regress.png"
run regress_predict regress predict "$OUT/regressor.json" $T/sequences.fa --model $TINY \
  -o "$OUT/regress_predict.tsv"
run info info --model $TINY --device cpu
run register register-model --model $TINY --target-dir "$OUT/registered" --output-json "$OUT/register.json"
rm -rf "$OUT/registered"
run error_bad_letters embed $T/bad_letters.fa -o "$OUT/never.tsv"
run error_empty variants --vcf $T/variants.vcf --reference $T/empty.fa -o "$OUT/never.tsv"
