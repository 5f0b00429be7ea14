#!/usr/bin/env bash
# The Galaxy Training Network zero-shot SNP analysis with the dnalens CLI (see docs/GTN_ZERO_SHOT.md).
#   bash scripts/reproduce_gtn.sh [GTN_DIR] [OUT_DIR] [MODEL]
# GTN_DIR holds SNP{exon,intron}_{ref,alt}_201b.fasta.gz (default ../shared/data/gtn_snp).
set -euo pipefail
GTN=${1:-../shared/data/gtn_snp}
OUT=${2:-build/gtn}
MODEL=${3:-default}
mkdir -p "$OUT"
for n in ${SIZES:-100 10000}; do
  for group in exon intron; do
    for allele in ref alt; do
      # The first n records, whatever the line wrapping.
      zcat "$GTN/SNP${group}_${allele}_201b.fasta.gz" | awk -v n="$n" '/^>/ {c++} c <= n' \
        > "$OUT/${group}_${allele}_${n}.fa"
    done
    # Pair by order: the ref and alt files' headers disagree (>SNP1… vs >chrN), DNALens warns about it.
    dnalens variants --ref-fasta "$OUT/${group}_ref_${n}.fa" --alt-fasta "$OUT/${group}_alt_${n}.fa" \
      --pair-by order --model "$MODEL" -o "$OUT/${group}_scores_${n}.tsv"
  done
  for score in llr l2; do
    dnalens compare "$OUT/exon_scores_${n}.tsv" "$OUT/intron_scores_${n}.tsv" --group-names exon,intron \
      --value "$score" -o "$OUT/compare_${score}_${n}.tsv" --plot "$OUT/compare_${score}_${n}.png"
  done
done
