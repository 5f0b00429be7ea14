"""Repeat-aware training (issue 16) on tiny inputs: the weighted loss, the tools' mask, the held-out chrX region."""

import math
import shutil
import subprocess
from dataclasses import replace

import numpy as np
import pytest
import torch

from dnalens_training import train as training
from dnalens_training.genome import encode
from dnalens_training.masking import IGNORE_INDEX
from dnalens_training.recipe import RECIPES
from dnalens_training.train import (
    TEST_REGION,
    Source,
    load_sources,
    position_weights,
    sample_batch,
    weighted_masked_loss,
)

needs_tools = pytest.mark.skipif(not (shutil.which("windowmasker") and shutil.which("dustmasker")),
                                 reason="ncbi-blast+ (windowmasker, dustmasker) not installed")


def test_weighted_loss_is_the_weighted_mean_of_the_cross_entropies():
    logits = torch.tensor([[[0.0, 0.0, 0.0], [2.0, 0.0, -1.0], [0.5, 1.5, 0.0], [0.0, 0.0, 3.0]]])
    labels = torch.tensor([[IGNORE_INDEX, 0, 1, 0]])
    flags = np.array([[True, False]])  # the bases between [CLS] and [SEP]: positions 1 and 2
    weights = position_weights(flags, labels.shape, 0.1)
    assert weights.tolist() == [pytest.approx([1.0, 0.1, 1.0, 1.0])]

    def cross_entropy(row, label):  # by hand: log-sum-exp minus the true logit
        return math.log(sum(math.exp(v) for v in row)) - row[label]

    ce = [cross_entropy([2.0, 0.0, -1.0], 0), cross_entropy([0.5, 1.5, 0.0], 1), cross_entropy([0.0, 0.0, 3.0], 0)]
    expected = (0.1 * ce[0] + 1.0 * ce[1] + 1.0 * ce[2]) / (0.1 + 1.0 + 1.0)
    loss, per_target = weighted_masked_loss(logits, labels, weights)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert per_target.tolist() == pytest.approx(ce, rel=1e-6)
    # ModernBERT's sparse prediction hands back the targets' logits only, in row-major order: same loss.
    sparse_loss, _ = weighted_masked_loss(logits[labels != IGNORE_INDEX], labels, weights)
    assert sparse_loss.item() == pytest.approx(expected, rel=1e-6)
    # Weight 1 everywhere is the plain mean: the model's own loss.
    plain, _ = weighted_masked_loss(logits, labels, torch.ones(labels.shape))
    assert plain.item() == pytest.approx(sum(ce) / 3, rel=1e-6)


def _slice_with_repeats(path):
    """Random sequence with 40 copies of one 300 bp element and a 200 bp (CA)n run at a known place."""
    rng = np.random.default_rng(1)
    random = lambda n: "".join(rng.choice(list("ACGT"), n))  # noqa: E731
    element = random(300)
    sequence = "".join(random(1500) + element for _ in range(40)) + random(500)
    ca_start = len(sequence)
    sequence += "CA" * 100 + random(2000)
    path.write_text(">slice\n" + "\n".join(sequence[i : i + 60] for i in range(0, len(sequence), 60)) + "\n")
    return len(sequence), ca_start


def _tool_intervals(command):
    """The tool's interval output read here independently: 0-based, end inclusive."""
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return [tuple(int(v) for v in line.split(" - ")) for line in text.splitlines() if " - " in line]


@needs_tools
def test_mask_is_exactly_what_windowmasker_and_dustmasker_report(tmp_path):
    from dnalens_training.repeats import repeat_annotation

    fasta = tmp_path / "slice.fa"
    length, ca_start = _slice_with_repeats(fasta)
    counts = tmp_path / "counts"
    subprocess.run(["windowmasker", "-mk_counts", "-in", str(fasta), "-out", str(counts), "-sformat", "obinary"],
                   capture_output=True, check=True)
    reported = (_tool_intervals(["windowmasker", "-ustat", str(counts), "-in", str(fasta), "-outfmt", "interval"])
                + _tool_intervals(["dustmasker", "-in", str(fasta), "-outfmt", "interval"]))
    expected = np.zeros(length, dtype=bool)
    for start, end in reported:
        expected[start : end + 1] = True

    annotation = repeat_annotation(fasta, cache=tmp_path / "cache", log=lambda _: None)
    mask = annotation.mask()
    assert annotation.length == length
    assert (mask == expected).all()
    assert mask[ca_start : ca_start + 200].all()  # the (CA)n run is low complexity
    assert mask.mean() < 0.5  # random sequence is mostly left alone
    # Read back from the cache, the same mask.
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    assert (repeat_annotation(fasta, cache=tmp_path / "cache", log=lambda _: None).mask() == mask).all()


def test_missing_tools_name_the_package_to_install(monkeypatch, tmp_path):
    from dnalens_training import repeats

    monkeypatch.setattr(repeats.shutil, "which", lambda name: None)
    with pytest.raises(repeats.MaskToolMissing, match="apt-get install ncbi-blast\\+"):
        repeats.repeat_annotation(tmp_path / "any.fa", cache=tmp_path)


def test_no_training_window_overlaps_the_held_out_chrx_region(monkeypatch, tmp_path):
    # A chrX stand-in long enough to hold the test region, read instead of the Debian files.
    fake = {"chr20.fa": encode("ACGT" * 16_000_000), "chrX.fa": encode("ACGT" * 9_000_000)}
    monkeypatch.setattr(training, "read_chromosome", lambda path: fake[path.name])
    recipe = replace(RECIPES["cpu-repeat"], repeat_weight=1.0)  # the same data rules, no tools needed
    sources = load_sources(recipe, tmp_path / "chr20.fa", tmp_path / "chrX.fa", log=lambda _: None)
    assert [s.exclude for s in sources] == [training.VALIDATION_REGION, TEST_REGION]
    # Each base's own coordinate as its "annotation" (chr20's offset by 10^9): windows say where they came from.
    offsets = [10**9, 0]
    # int32: coordinates stay below 2^31 (1.07e9), and the two arrays take 0.4 GB instead of 0.8 GB.
    positioned = [Source(s.name, s.codes, np.arange(len(s.codes), dtype=np.int32) + np.int32(offset), s.exclude)
                  for s, offset in zip(sources, offsets)]
    _, coordinates = sample_batch(positioned, 4000, 512, np.random.default_rng(0))
    assert coordinates.shape == (4000, 512)
    starts, ends = coordinates.min(axis=1), coordinates.max(axis=1) + 1
    assert (ends - starts == 512).all()
    chrx = starts < 10**9
    assert 0.2 < chrx.mean() < 0.5  # in proportion to usable length: 26 of 90 Mb
    assert not ((starts[chrx] < TEST_REGION.end) & (ends[chrx] > TEST_REGION.start)).any()
    assert (starts[chrx] < TEST_REGION.start).any() and (starts[chrx] >= TEST_REGION.end).any()  # both sides
    chr20 = starts[~chrx] - 10**9
    validation = training.VALIDATION_REGION
    assert not ((chr20 < validation.end) & (chr20 + 512 > validation.start)).any()


def test_auroc_counts_pairs_with_ties_as_halves():
    from dnalens_training.variant_effect import auroc

    # Positives 0.9, 0.5; negatives 0.5, 0.1: pairs won 1 + 1 + 0.5 (tie) + 1 of 4.
    assert auroc(np.array([0.9, 0.5, 0.5, 0.1]), np.array([1, 1, 0, 0])) == pytest.approx(3.5 / 4)
    rng = np.random.default_rng(0)
    scores, labels = rng.integers(0, 5, 200).astype(float), rng.integers(0, 2, 200)
    by_pairs = np.mean([(p > n) + 0.5 * (p == n) for p in scores[labels == 1] for n in scores[labels == 0]])
    assert auroc(scores, labels) == pytest.approx(by_pairs)
