"""Strand-averaged variant scores and pseudo-log-likelihood indel scores, checked against hand computation.

Every expected value here is computed straight from the Hugging Face model (tokenizer, forward pass,
log-softmax), not through DNALens' scoring code.
"""

import numpy as np
import pytest
import torch

from conftest import random_dna
from dnalens.io.tables import read_table
from dnalens.jobs.variants import score_variants
from dnalens.sequence import reverse_complement


def _ids(model, sequence: str) -> list[int]:
    return model.tokenizer(sequence)["input_ids"]


def _forward(model, ids: list[int], hidden: bool = False):
    with torch.inference_mode():
        return model.model(input_ids=torch.tensor([ids]), output_hidden_states=hidden)


def _masked_llr(model, ref: str, alt: str, site: int) -> float:
    """log P(alt base) - log P(ref base) with the site's token masked (one token per base, [CLS] first)."""
    ids = _ids(model, ref)
    ids[site + 1] = model.tokenizer.mask_token_id
    log_probs = torch.log_softmax(_forward(model, ids).logits[0, site + 1], dim=-1)
    vocab = model.tokenizer.get_vocab()
    return float(log_probs[vocab[alt[site]]] - log_probs[vocab[ref[site]]])


def _mean_last_layer(model, sequence: str) -> np.ndarray:
    """Last hidden layer, mean over the base tokens ([CLS] and [SEP] left out)."""
    states = _forward(model, _ids(model, sequence), hidden=True).hidden_states[-1][0]
    return states[1:-1].double().mean(dim=0).numpy()


def _base_log_probs(model, sequence: str) -> list[float]:
    """Brute force: every base masked in turn, one forward pass each, log P of the true base."""
    ids = _ids(model, sequence)
    values = []
    for position in range(1, len(ids) - 1):
        masked = list(ids)
        masked[position] = model.tokenizer.mask_token_id
        log_probs = torch.log_softmax(_forward(model, masked).logits[0, position], dim=-1)
        values.append(float(log_probs[ids[position]]))
    return values


def _aligned_pll_difference(model, ref: str, alt: str, left: int, ref_len: int, alt_len: int) -> float:
    """By hand: the bases outside the change (`left` bases before it) in both windows; for equal lengths, all."""
    ref_values, alt_values = _base_log_probs(model, ref), _base_log_probs(model, alt)
    if len(ref) == len(alt):
        return sum(alt_values) - sum(ref_values)
    return (sum(alt_values[:left]) + sum(alt_values[left + alt_len:])
            - sum(ref_values[:left]) - sum(ref_values[left + ref_len:]))


def _causal_log_likelihood(model, sequence: str) -> float:
    ids = _ids(model, sequence)
    log_probs = torch.log_softmax(_forward(model, ids).logits[0, :-1].double(), dim=-1)
    return float(log_probs[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].sum())


def _score_pair(model, write_fasta, tmp_path, ref: str, alt: str, **options) -> dict:
    out = tmp_path / "scores.tsv"
    score_variants(model, out, ref_fasta=write_fasta({"v": ref}, "r.fa"), alt_fasta=write_fasta({"v": alt}, "a.fa"),
                   **options)
    return read_table(out)[1][0]


def test_rc_average_masked_snv_is_the_mean_of_both_strands_by_hand(loaded, write_fasta, tmp_path):
    model = loaded("masked_nucleotide")
    ref = random_dna(45, seed=31)
    site = 12  # off-centre, so the reverse strand's site (32) is a different position
    alt = ref[:site] + ("G" if ref[site] != "G" else "T") + ref[site + 1:]
    row = _score_pair(model, write_fasta, tmp_path, ref, alt, rc_average=True)

    forward = _masked_llr(model, ref, alt, site)
    reverse = _masked_llr(model, reverse_complement(ref), reverse_complement(alt), len(ref) - 1 - site)
    # The tiny random model's llrs are about 1e-3, so the tolerance is far below the gap between the strands.
    assert abs(forward - reverse) > 1e-4
    assert float(row["llr"]) == pytest.approx((forward + reverse) / 2, abs=2e-6)

    # l2/cosine: distances between strand-averaged embeddings, as embed --rc-average defines an embedding.
    wt = (_mean_last_layer(model, ref) + _mean_last_layer(model, reverse_complement(ref))) / 2
    mutant = (_mean_last_layer(model, alt) + _mean_last_layer(model, reverse_complement(alt))) / 2
    assert float(row["l2"]) == pytest.approx(np.linalg.norm(wt - mutant), rel=1e-4)
    cosine = 1 - wt @ mutant / (np.linalg.norm(wt) * np.linalg.norm(mutant))
    assert float(row["cosine"]) == pytest.approx(cosine, rel=1e-3, abs=1e-7)

    plain = _score_pair(model, write_fasta, tmp_path, ref, alt)
    assert float(plain["llr"]) == pytest.approx(forward, abs=2e-6)  # without the option: forward strand only


def test_rc_average_is_recorded_in_the_output(loaded, write_fasta, tmp_path):
    model = loaded("masked_nucleotide")
    ref = random_dna(30, seed=32)
    alt = ref[:10] + ("A" if ref[10] != "A" else "C") + ref[11:]
    out = tmp_path / "s.tsv"
    result = score_variants(model, out, ref_fasta=write_fasta({"v": ref}, "r.fa"),
                            alt_fasta=write_fasta({"v": alt}, "a.fa"), rc_average=True)
    text = out.read_text()
    assert '"rc_average": true' in text
    assert "averaged over both strands" in result.llr_method and "averaged over both strands" in text
    assert "mean of its forward and reverse-complement strands' vectors" in text
    score_variants(model, out, ref_fasta=write_fasta({"v": ref}, "r.fa"), alt_fasta=write_fasta({"v": alt}, "a.fa"))
    assert "rc_average" not in out.read_text() and "forward strand only" in out.read_text()


def test_rc_average_causal_llr_is_the_mean_of_both_strands_by_hand(loaded, write_fasta, tmp_path):
    model = loaded("causal_moe")
    ref = random_dna(60, seed=33)
    alt = ref[:25] + ref[28:]  # a 3-bp deletion
    row = _score_pair(model, write_fasta, tmp_path, ref, alt, rc_average=True, scores="llr")
    forward = _causal_log_likelihood(model, alt) - _causal_log_likelihood(model, ref)
    reverse = (_causal_log_likelihood(model, reverse_complement(alt))
               - _causal_log_likelihood(model, reverse_complement(ref)))
    assert abs(forward - reverse) > 2e-3  # the strands differ by more than the tolerance: averaging is seen
    assert float(row["llr"]) == pytest.approx((forward + reverse) / 2, abs=1e-3)


@pytest.mark.parametrize("change", ["deletion", "insertion", "mnv"])
def test_masked_indel_llr_equals_brute_force_pseudo_likelihoods(loaded, write_fasta, tmp_path, change):
    model = loaded("masked_nucleotide")
    # Bases around the change chosen so that no indel can slide left or right: its place is unambiguous.
    ref = random_dna(17, seed=34) + "CGTAT" + random_dna(18, seed=36)
    alt = {"deletion": ref[:18] + ref[21:], "insertion": ref[:18] + "TATTA" + ref[18:],
           "mnv": ref[:18] + "".join("A" if b != "A" else "C" for b in ref[18:20]) + ref[20:]}[change]
    # Where the change sits and how long it is in each window (known by construction, not by the code's trimming).
    left, ref_len, alt_len = {"deletion": (18, 3, 0), "insertion": (18, 0, 5), "mnv": (18, 2, 2)}[change]
    row = _score_pair(model, write_fasta, tmp_path, ref, alt, scores="llr")
    expected = _aligned_pll_difference(model, ref, alt, left, ref_len, alt_len)
    assert row["status"] == "ok"
    assert float(row["llr"]) == pytest.approx(expected, abs=1e-4)

    both = _score_pair(model, write_fasta, tmp_path, ref, alt, scores="llr", rc_average=True)
    right = len(ref) - left - ref_len  # bases after the change: before it on the other strand
    reverse = _aligned_pll_difference(model, reverse_complement(ref), reverse_complement(alt), right, ref_len, alt_len)
    assert float(both["llr"]) == pytest.approx((expected + reverse) / 2, abs=1e-4)


def test_indel_score_has_no_length_term(loaded, write_fasta, tmp_path):
    """Whole-window pseudo-likelihoods differ by one term per deleted base; the aligned score must not."""
    model = loaded("masked_nucleotide")
    ref = random_dna(60, seed=35)
    scores = [float(_score_pair(model, write_fasta, tmp_path, ref, ref[:30] + ref[30 + n:], scores="llr")["llr"])
              for n in (1, 4, 8)]
    whole = [sum(_base_log_probs(model, ref[:30] + ref[30 + n:])) - sum(_base_log_probs(model, ref)) for n in (1, 4, 8)]
    assert whole[2] - whole[0] > 3  # the length term: about 1.3 nats (log 4 for a random model) per base
    assert abs(scores[2] - scores[0]) < (whole[2] - whole[0]) / 3


def test_masked_kmer_models_leave_indels_empty_and_say_so(loaded, write_fasta, tmp_path):
    model = loaded("masked_kmer")
    ref = random_dna(36, seed=35)
    out = tmp_path / "s.tsv"
    result = score_variants(model, out, ref_fasta=write_fasta({"v": ref}, "r.fa"),
                            alt_fasta=write_fasta({"v": ref[:10] + ref[12:]}, "a.fa"), scores="llr")
    assert read_table(out)[1][0]["llr"] == ""
    assert "not defined for k-mer tokens" in result.llr_method


def test_indel_pseudo_likelihoods_in_bounded_groups_give_the_same_scores(loaded, write_fasta, tmp_path, monkeypatch):
    import dnalens.ops.variant_scoring as variants

    model = loaded("masked_nucleotide")
    refs = {f"v{i}": random_dna(40 + i, seed=60 + i) for i in range(4)}
    alts = {key: ref[:15] + ref[15 + 1 + i % 2:] for i, (key, ref) in enumerate(refs.items())}  # 1-2 bp deletions
    files = {"ref_fasta": write_fasta(refs, "r.fa"), "alt_fasta": write_fasta(alts, "a.fa"), "scores": "llr"}
    whole, grouped = tmp_path / "whole.tsv", tmp_path / "grouped.tsv"
    score_variants(model, whole, **files)
    groups = []
    original = variants._bounded_groups

    def recorded(windows, budget):
        made = list(original(windows, budget))
        groups.extend(made)
        return made

    monkeypatch.setattr(variants, "PLL_TOKENS", 45 * 45)  # every window is at least 38 bp: one per group
    monkeypatch.setattr(variants, "_bounded_groups", recorded)
    score_variants(model, grouped, **files)
    assert len(groups) == 8 and all(len(group) == 1 for group in groups)
    for a, b in zip(read_table(whole)[1], read_table(grouped)[1]):
        assert float(b["llr"]) == pytest.approx(float(a["llr"]), abs=1e-5)


def test_cancel_is_honoured_inside_indel_scoring(loaded):
    import threading

    from dnalens.compute.embedder import EmbeddingOptions
    from dnalens.errors import Cancelled
    from dnalens.ops.variant_inputs import VariantCase
    from dnalens.ops.variant_scoring import VariantScorer
    from dnalens.runner import Runner

    model = loaded("masked_nucleotide")
    ref = random_dna(40, seed=70)
    cancel = threading.Event()
    cancel.set()
    cancelled = Runner(model.device, model.pad_id, cancel_event=cancel)
    with pytest.raises(Cancelled):
        VariantScorer(model, ["llr"], EmbeddingOptions(), cancelled).score(
            [VariantCase({"id": "d"}, ref, ref[:20] + ref[22:])])
    scorer = VariantScorer(model, ["llr"], EmbeddingOptions(), Runner(model.device, model.pad_id))
    assert scorer.score([VariantCase({"id": "d"}, ref, ref[:20] + ref[22:])])[0].scores["llr"] is not None


def test_rc_average_in_vcf_mode_matches_both_strands_by_hand(loaded, tmp_path):
    from conftest import TEST_DATA

    model = loaded("masked_nucleotide")
    out = tmp_path / "s.tsv"
    score_variants(model, out, vcf=TEST_DATA / "variants.vcf", reference=TEST_DATA / "chr20_excerpt.fa", window=101,
                   rc_average=True, scores="llr")
    rows = {r["id"]: r for r in read_table(out)[1]}
    genome = "".join((TEST_DATA / "chr20_excerpt.fa").read_text().split("\n")[1:])
    # A centred SNV (POS 1500: site 50 of 101 on both strands) and one near the start, whose window is shifted
    # inwards (POS 3: site 2 forward, 98 on the reverse strand): a wrongly mirrored site would show there.
    for name, ref, site in (("snv_ok", genome[1500 - 1 - 50 : 1500 - 1 + 51], 50), ("near_start", genome[:101], 2)):
        row = rows[name]
        alt = ref[:site] + row["alt"] + ref[site + 1:]
        forward = _masked_llr(model, ref, alt, site)
        reverse = _masked_llr(model, reverse_complement(ref), reverse_complement(alt), len(ref) - 1 - site)
        assert abs(forward - reverse) > 1e-4
        assert float(row["llr"]) == pytest.approx((forward + reverse) / 2, abs=2e-6)
