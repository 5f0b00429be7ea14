"""Variant effects: pairing, VCF reference checks, and scores equal to hand computation."""

import numpy as np
import pytest
import torch

from conftest import TEST_DATA, random_dna
from dnalens.errors import DNALensError, InputError
from dnalens.io.tables import read_table
from dnalens.jobs.variants import score_variants
from dnalens.ops.variant_inputs import minimal_difference


def rows_by(path, key):
    return {row[key]: row for row in read_table(path)[1]}


def test_vcf_mode_checks_reference_alleles_and_reconciles_names(loaded, tmp_path):
    out, vcf_out = tmp_path / "scores.tsv", tmp_path / "scores.vcf"
    result = score_variants(loaded("masked_nucleotide"), out, vcf=TEST_DATA / "variants.vcf",
                            reference=TEST_DATA / "chr20_excerpt.fa", window=101, vcf_out=vcf_out)
    columns, rows = read_table(out)
    assert columns == ["chrom", "pos", "id", "ref", "alt", "l2", "cosine", "llr", "status"]
    status = {(r["id"], r["alt"]): r["status"] for r in rows}
    assert status[("snv_ok", "G")] == "ok"
    assert status[("snv_chr_prefix", "A")] == "ok"  # 'chr20' found as '20'
    assert status[("multi_allelic", "C")] == status[("multi_allelic", "G")] == "ok"  # split into two rows
    assert status[("ref_mismatch", "G")] == "ref_mismatch(reference=G)"
    assert status[("symbolic", "<DEL>")] == "symbolic_allele"
    assert status[("other_chromosome", "G")] == "chrom_not_in_reference"
    assert status[("near_start", "G")] == status[("near_end", "A")] == "ok"
    assert status[("deletion", "A")] == status[("insertion", "TGATTACA")] == "ok"
    for row in rows:
        if row["status"] != "ok":
            assert row["l2"] == row["cosine"] == row["llr"] == ""  # never scored when skipped
    by_id = {(r["id"], r["alt"]): r for r in rows}
    assert float(by_id[("snv_ok", "G")]["llr"]) != 0
    assert float(by_id[("deletion", "A")]["llr"]) != 0  # pseudo-log-likelihoods (test_variants_strands_indels.py)
    assert float(by_id[("deletion", "A")]["l2"]) > 0
    assert result.scored == 8 and result.skipped == {"ref_mismatch": 1, "symbolic_allele": 1,
                                                     "chrom_not_in_reference": 1}
    vcf_text = vcf_out.read_text()
    assert '##INFO=<ID=DNALENS_LLR,Number=1,Type=Float' in vcf_text
    data = [line.split("\t") for line in vcf_text.splitlines() if not line.startswith("#")]
    assert len(data) == 11 and all(len(fields) == 8 for fields in data)
    assert any("DNALENS_STATUS=ref_mismatch(reference:G)" in f[7] for f in data)
    assert all(f[7].startswith("DP=30;") for f in data)


def test_multi_allelic_llrs_come_from_one_masked_pass(loaded, tmp_path):
    model = loaded("masked_nucleotide")
    out = tmp_path / "s.tsv"
    score_variants(model, out, vcf=TEST_DATA / "variants.vcf", reference=TEST_DATA / "chr20_excerpt.fa",
                   window=101, scores="llr")
    rows = [r for r in read_table(out)[1] if r["id"] == "multi_allelic"]
    reference = (TEST_DATA / "chr20_excerpt.fa").read_text().split("\n", 1)[1].replace("\n", "")
    window = reference[3000 - 1 - 50 : 3000 - 1 + 51]
    ids = model.encode([window])[0]
    ids[51] = model.mask_id  # [CLS] + 50 bases before the site
    with torch.inference_mode():
        log_probs = torch.log_softmax(model.model(input_ids=torch.tensor([ids])).logits[0, 51], dim=-1)
    vocab = model.tokenizer.get_vocab()
    for row in rows:
        expected = float(log_probs[vocab[row["alt"]]] - log_probs[vocab["A"]])
        assert float(row["llr"]) == pytest.approx(expected, abs=1e-5)


def test_vcf_with_no_matching_chromosome_is_a_clear_error(loaded, tmp_path):
    vcf = tmp_path / "v.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\nchrUn\t10\t.\tA\tG\n")
    with pytest.raises(InputError, match="none of the VCF's chromosomes"):
        score_variants(loaded("masked_nucleotide"), tmp_path / "o.tsv", vcf=vcf,
                       reference=TEST_DATA / "chr20_excerpt.fa")
    assert not (tmp_path / "o.tsv").exists()


def test_paired_mode_llr_equals_hand_computation(loaded, write_fasta, tmp_path):
    model = loaded("masked_nucleotide")
    ref = random_dna(41, seed=21)
    alt = ref[:20] + ("A" if ref[20] != "A" else "C") + ref[21:]
    out = tmp_path / "pairs.tsv"
    score_variants(model, out, ref_fasta=write_fasta({"v1": ref}, "r.fa"), alt_fasta=write_fasta({"v1": alt}, "a.fa"))
    row = read_table(out)[1][0]
    assert (row["pair"], row["id"], row["position"], row["ref"], row["alt"]) == ("1", "v1", "21", ref[20], alt[20])
    ids = model.encode([ref])[0]
    ids[21] = model.mask_id
    with torch.inference_mode():
        log_probs = torch.log_softmax(model.model(input_ids=torch.tensor([ids])).logits[0, 21], dim=-1)
    vocab = model.tokenizer.get_vocab()
    assert float(row["llr"]) == pytest.approx(float(log_probs[vocab[alt[20]]] - log_probs[vocab[ref[20]]]), abs=1e-5)
    from dnalens.compute.embedder import Embedder, EmbeddingOptions
    from dnalens.runner import Runner

    vectors = Embedder(model, EmbeddingOptions(), Runner(model.device, model.pad_id)).embed([ref, alt])
    assert float(row["l2"]) == pytest.approx(float(np.linalg.norm(vectors[0] - vectors[1])), rel=1e-4)


def test_causal_llr_is_the_difference_of_sequence_likelihoods(loaded, write_fasta, tmp_path):
    model = loaded("causal_moe")
    ref = random_dna(60, seed=22)
    alt = ref[:30] + ref[31:]  # a deletion: defined for causal models
    out = tmp_path / "pairs.tsv"
    score_variants(model, out, ref_fasta=write_fasta({"d": ref}, "r.fa"), alt_fasta=write_fasta({"d": alt}, "a.fa"))
    row = read_table(out)[1][0]
    from dnalens.compute.scoring import Scorer
    from dnalens.runner import Runner

    ll = Scorer(model, Runner(model.device, model.pad_id)).sequence_log_likelihoods([ref, alt])
    assert float(row["llr"]) == pytest.approx(ll[1] - ll[0], abs=1e-4)
    assert row["alt"] == "-" and row["status"] == "ok"


@pytest.mark.parametrize("scores", [["l2", "cosine", "llr"], ["l2"]])
def test_causal_one_pass_scores_equal_separate_embedding_and_likelihood_passes(loaded, scores):
    from dnalens.compute.embedder import Embedder, EmbeddingOptions
    from dnalens.compute.scoring import Scorer
    from dnalens.ops.variant_inputs import VariantCase
    from dnalens.ops.variant_scoring import VariantScorer
    from dnalens.runner import Runner

    model = loaded("causal_moe")
    refs = [random_dna(length, seed=40 + length) for length in (50, 80, 120)]
    alts = [ref[:20] + ("A" if ref[20] != "A" else "C") + ref[21:] for ref in refs]
    cases = [VariantCase({"id": str(i)}, ref, alt, 20) for i, (ref, alt) in enumerate(zip(refs, alts))]
    runner = Runner(model.device, model.pad_id)
    scored = VariantScorer(model, scores, EmbeddingOptions(), runner).score(cases)
    vectors = Embedder(model, EmbeddingOptions(), runner).embed(refs + alts).astype(np.float64)
    ll = Scorer(model, runner).sequence_log_likelihoods(refs + alts)
    for i, row in enumerate(scored):
        assert row.status.ok and row.case is cases[i]
        assert row.scores["l2"] == pytest.approx(np.linalg.norm(vectors[i] - vectors[i + 3]), rel=1e-4, abs=1e-6)
        if "llr" in scores:
            assert row.scores["llr"] == pytest.approx(ll[i + 3] - ll[i], abs=1e-4)


def test_pairing_by_id_refuses_unmatched_records(loaded, write_fasta, tmp_path):
    ref = write_fasta({"a": "ACGTA", "b": "ACGTT"}, "r.fa")
    alt = write_fasta({"a": "ACGTC", "c": "ACGTT"}, "a.fa")
    with pytest.raises(InputError, match=r"'b'.*no record with the same id"):
        score_variants(loaded("masked_nucleotide"), tmp_path / "o.tsv", ref_fasta=ref, alt_fasta=alt, pair_by="id")
    assert not (tmp_path / "o.tsv").exists()


def test_pairing_by_order_refuses_files_of_different_sizes(loaded, write_fasta, tmp_path):
    ref = write_fasta({"a": "ACGTA", "b": "ACGTT"}, "r.fa")
    alt = write_fasta({"a": "ACGTC"}, "a.fa")
    with pytest.raises(InputError, match=r"2 records.*1"):
        score_variants(loaded("masked_nucleotide"), tmp_path / "o.tsv", ref_fasta=ref, alt_fasta=alt)


def test_llr_on_a_base_model_fails_clearly(loaded, write_fasta, tmp_path):
    ref, alt = write_fasta({"a": "ACGTA"}, "r.fa"), write_fasta({"a": "ACGTC"}, "a.fa")
    with pytest.raises(DNALensError, match="language-model head"):
        score_variants(loaded("base_no_head"), tmp_path / "o.tsv", ref_fasta=ref, alt_fasta=alt, scores="llr")
    result = score_variants(loaded("base_no_head"), tmp_path / "o.tsv", ref_fasta=ref, alt_fasta=alt)
    assert result.scores == ["l2", "cosine"]


@pytest.mark.parametrize(("ref", "alt", "expected"), [
    ("ACGTACGT", "ACGAACGT", (3, "T", "A")),
    ("ACGTACGT", "ACGACGT", (3, "T", "")),
    ("ACGTACGT", "ACGTTACGT", (4, "", "T")),
    ("AAAA", "AAAA", (4, "", "")),
    ("ACGTACGT", "TCGTACGA", (0, "ACGTACGT", "TCGTACGA")),
])
def test_minimal_difference(ref, alt, expected):
    assert minimal_difference(ref, alt) == expected
