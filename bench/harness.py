"""DNALens benchmark harness: each workload is measured against its baseline side by side, in one process.

    python bench/harness.py                 # the full run documented in docs/PERFORMANCE.md
    python bench/harness.py --quick         # a smaller run, to check the harness works

Prints a table: workload, baseline, DNALens, ratio (medians of --repeats runs). The baselines are written
here, faithfully to the seed tutorials: one sequence at a time, eager, autograd on; variants scored with
separate unbatched forward passes for the reference and the mutant window.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dnalens  # noqa: F401  (before torch: DNALens's OpenMP wait policy, as in every DNALens process; P11)

# isort: split
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


@dataclass
class Row:
    workload: str
    unit: str
    baseline: float | None
    dnalens: float
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.dnalens / self.baseline if self.higher_is_better else self.baseline / self.dnalens


def median_time(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def interleaved_medians(functions: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median seconds of each function, run in turn within every repeat, so that a busy spell on a noisy
    machine slows the baseline and DNALens alike instead of one of them."""
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repeats):
        for function, spent in zip(functions, times):
            started = time.perf_counter()
            function()
            spent.append(time.perf_counter() - started)
    return [statistics.median(spent) for spent in times]


def matmul_peak_flops(repeats: int, size: int = 2048, device: str = "cpu", dtype=torch.float32) -> float:
    """Matmul FLOP/s of this device in this dtype, measured now (the denominator of model FLOP utilisation)."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)

    def multiply():
        torch.mm(a, b)
        if a.is_cuda:
            torch.cuda.synchronize()

    multiply()
    seconds = median_time(multiply, max(5, repeats))
    return 2 * size**3 / seconds


def random_windows(count: int, length: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), length)) for _ in range(count)]


def mixed_lengths(count: int, limit: int, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), int(n))) for n in rng.integers(50, limit + 1, count)]


# ---- the baselines, as the tutorials wrote them -------------------------------------------------------
def seed_style_embed(model, sequences: list[str]) -> np.ndarray:
    out = []
    for sequence in sequences:
        tokens = model.tokenizer(sequence, return_tensors="pt")
        hidden = model.model(**tokens, output_hidden_states=True).hidden_states[-1]  # autograd on, eager
        out.append(hidden[0].mean(dim=0).detach().numpy())
    return np.stack(out)


def tutorial_variant_scores(model, pairs: list[tuple[str, str]]) -> list[float]:
    scores = []
    for ref, alt in pairs:
        ref_hidden = model.model(**model.tokenizer(ref, return_tensors="pt"), output_hidden_states=True)
        alt_hidden = model.model(**model.tokenizer(alt, return_tensors="pt"), output_hidden_states=True)
        ref_vector = ref_hidden.hidden_states[-1][0].mean(dim=0)
        alt_vector = alt_hidden.hidden_states[-1][0].mean(dim=0)
        scores.append(torch.linalg.norm(ref_vector - alt_vector).item())
    return scores


# ---- models ----------------------------------------------------------------------------------------
def benchmark_models(folder: Path) -> dict[str, Path]:
    """The default model, a Mistral-DNA-17M-shaped causal MoE and a Nucleotide-Transformer-like 6-mer model."""
    from transformers import EsmConfig, EsmForMaskedLM, MixtralConfig, MixtralForCausalLM

    from dnalens.model.source import DEFAULT_MODEL_DIR
    from model_zoo import _save, kmer_tokenizer

    torch.manual_seed(0)
    tokenizer = _mistral_dna_tokenizer()
    moe = MixtralConfig(vocab_size=len(tokenizer), hidden_size=256, intermediate_size=1024, num_hidden_layers=8,
                        num_attention_heads=8, num_key_value_heads=8, num_local_experts=8, num_experts_per_tok=2,
                        max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id,
                        bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id)
    kmer = kmer_tokenizer(6, max_length=1002)
    nt = EsmConfig(vocab_size=len(kmer), hidden_size=256, num_hidden_layers=6, num_attention_heads=8,
                   intermediate_size=1024, max_position_embeddings=1002, position_embedding_type="rotary",
                   pad_token_id=kmer.pad_token_id, mask_token_id=kmer.mask_token_id, token_dropout=False)
    return {
        "dnalens-default": DEFAULT_MODEL_DIR,
        "mistral-dna-17m-shaped-moe": _save(MixtralForCausalLM(moe), tokenizer, folder / "moe"),
        "nt-like-6mer": _save(EsmForMaskedLM(nt), kmer, folder / "nt"),
    }


def _mistral_dna_tokenizer():
    """The real Mistral-DNA BPE tokenizer (4,096 tokens) when ../shared has it, else one trained like it."""
    from transformers import AutoTokenizer

    shared = ROOT.parent / "shared" / "models" / "mistral-dna-1m-prom"
    if shared.exists():
        return AutoTokenizer.from_pretrained(shared)
    from model_zoo import bpe_tokenizer

    return bpe_tokenizer(512)


# ---- workloads ----------------------------------------------------------------------------------------
def embedding_rows(name, model, sequences, repeats, peak) -> list[Row]:
    from dnalens.compute.embedder import Embedder, EmbeddingOptions
    from dnalens.runner import Runner

    embedder = Embedder(model, EmbeddingOptions(), Runner.for_model(model, lambda _: None))
    embedder.embed(sequences[:8])  # warm-up
    seed_style_embed(model, sequences[:2])
    slow, fast = interleaved_medians([lambda: seed_style_embed(model, sequences), lambda: embedder.embed(sequences)],
                                     repeats)
    tokens = sum(len(ids) for ids in model.encode(sequences))
    flops = 2 * _non_embedding_parameters(model) * tokens
    return [Row(f"P1 embed {name}, {len(sequences)} seqs", "seq/s", len(sequences) / slow, len(sequences) / fast),
            Row(f"P2 embed MFU {name}", "% of fp32 peak", None, 100 * flops / fast / peak)]


def bf16_embedding_row(name, path, fp32_model, sequences, repeats) -> Row:
    """The opt-in CPU fast path (--dtype bfloat16) against the same fp32 seed-style loop, with its accuracy:
    the smallest cosine similarity between a bf16 and the fp32 embedding of the same sequence."""
    from dnalens.compute.embedder import Embedder, EmbeddingOptions
    from dnalens.model import load_model
    from dnalens.runner import Runner

    model = load_model(str(path), device="cpu", dtype="bfloat16")
    quiet = lambda _: None  # noqa: E731
    embedder = Embedder(model, EmbeddingOptions(), Runner.for_model(model, quiet))
    embedder.embed(sequences[:8])
    slow, fast = interleaved_medians([lambda: seed_style_embed(fp32_model, sequences),
                                      lambda: embedder.embed(sequences)], repeats)
    exact = Embedder(fp32_model, EmbeddingOptions(), Runner.for_model(fp32_model, quiet)).embed(sequences)
    approx = embedder.embed(sequences).astype(np.float32)
    cosine = (exact * approx).sum(1) / np.linalg.norm(exact, axis=1) / np.linalg.norm(approx, axis=1)
    return Row(f"P1 embed {name}, bf16, {len(sequences)} seqs", "seq/s", len(sequences) / slow,
               len(sequences) / fast, note=f"min cosine to fp32 {cosine.min():.5f}")


def _non_embedding_parameters(model) -> int:
    embeddings = model.model.get_input_embeddings().weight.numel()
    active = sum(p.numel() for p in model.model.base_model.parameters()) - embeddings
    experts = getattr(model.model.config, "num_local_experts", None)
    if experts:  # only the routed experts' share of the MoE weights does work per token
        routed = sum(p.numel() for n, p in model.model.base_model.named_parameters() if "experts" in n)
        active -= routed * (1 - model.model.config.num_experts_per_tok / experts)
    return int(active)


def accelerator_rows(device: str, count: int, repeats: int) -> list[Row]:
    """P5: the default model in bf16 on `device` (a GPU), 201 bp windows through `Embedder.embed` (tokenising
    included), and its share of the bf16 matmul peak measured on the same device now."""
    from dnalens.compute.embedder import Embedder, EmbeddingOptions
    from dnalens.model import load_model
    from dnalens.runner import Runner

    model = load_model("default", device=device, dtype="bfloat16")
    name = torch.cuda.get_device_name(model.device) if model.device.type == "cuda" else str(model.device)
    peak = matmul_peak_flops(repeats, 8192 if model.device.type == "cuda" else 2048, device, torch.bfloat16)
    embedder = Embedder(model, EmbeddingOptions(), Runner.for_model(model, lambda _: None))
    sequences = random_windows(count, 201, seed=5)
    embedder.embed(sequences[: min(count, 4096)])  # warm-up: kernels, allocator
    seconds = median_time(lambda: embedder.embed(sequences), repeats)
    flops = 2 * _non_embedding_parameters(model) * sum(len(ids) for ids in model.encode(sequences))
    note = f"{name}; bf16 matmul peak measured {peak / 1e12:.1f} TFLOP/s"
    return [Row(f"P5 embed default model, bf16 on {model.device.type}, 201 bp, {count:,} seqs", "seq/s", None,
                count / seconds, note=note),
            Row("P5 embed MFU, bf16", "% of bf16 peak", None, 100 * flops / seconds / peak, note=note)]


def host_side_row(count: int, repeats: int) -> Row:
    """What bounds a GPU once the model itself is fast: all the work of `Embedder.embed` but the forward pass
    (tokenising, batching, padding, pooling, gathering), the default model's forward replaced by zeros, at
    201 bp. Baseline: the same code tokenising with the model's Hugging Face tokenizer, not the table lookup."""
    from dnalens.compute.embedder import Embedder, EmbeddingOptions
    from dnalens.model import load_model
    from dnalens.model.nucleotide_encoder import NucleotideEncoder
    from dnalens.runner import Runner

    model = load_model("default", device="cpu")
    table = NucleotideEncoder.for_tokenizer(model.tokenizer)
    model.hidden_states = lambda ids, mask: (torch.zeros(*ids.shape, model.hidden_size),) * (model.num_layers + 1)
    embedder = Embedder(model, EmbeddingOptions(), Runner.for_model(model, lambda _: None, token_budget=32_768))
    sequences = random_windows(count, 201, seed=6)

    def embed_with(encoder):
        model._fast_encoder = encoder
        return embedder.embed(sequences)

    embed_with(table)
    tokenizer, lookup = interleaved_medians([lambda: embed_with(False), lambda: embed_with(table)], repeats)
    return Row(f"P5 host side (forward stubbed), default model, 201 bp, {count:,} seqs", "seq/s", count / tokenizer,
               count / lookup, note="baseline: HF tokenizer; DNALens: table lookup")


def variant_rows(name, model, count, repeats) -> list[Row]:
    from dnalens.compute.embedder import EmbeddingOptions
    from dnalens.ops.variant_inputs import VariantCase
    from dnalens.ops.variant_scoring import VariantScorer, supported_scores
    from dnalens.runner import Runner

    refs = random_windows(count, 201, seed=3)
    rng = np.random.default_rng(4)
    cases, pairs = [], []
    for ref in refs:
        alt = ref[:100] + rng.choice([b for b in "ACGT" if b != ref[100]]) + ref[101:]
        cases.append(VariantCase({"id": "v"}, ref, alt, 100))
        pairs.append((ref, alt))
    # The same score as the baseline (l2), every score, and llr alone (masked: one pass per site).
    choices = [["l2"], supported_scores(model)] + ([["llr"]] if "llr" in supported_scores(model) else [])
    runs = [lambda: tutorial_variant_scores(model, pairs)]
    for scores in choices:
        scorer = VariantScorer(model, scores, EmbeddingOptions(), Runner.for_model(model, lambda _: None))
        scorer.score(cases[:4])
        runs.append(lambda s=scorer: s.score(cases))
    slow, *fast = interleaved_medians(runs, repeats)
    rows = [Row(f"P3 variants {name}: {', '.join(scores)} (baseline: l2)", "variants/s", count / slow, count / seconds)
            for scores, seconds in zip(choices, fast)]
    if model.family == "causal":
        rows.append(prefix_sharing_row(name, model, cases, repeats))
    return rows


def prefix_sharing_row(name, model, cases, repeats) -> Row:
    """Causal models: every score with the common prefix of REF and ALT run once, against each sequence whole."""
    from dnalens.compute.embedder import EmbeddingOptions
    from dnalens.ops.variant_scoring import VariantScorer, supported_scores
    from dnalens.runner import Runner

    runs = []
    for share in (False, True):
        scorer = VariantScorer(model, supported_scores(model), EmbeddingOptions(),
                               Runner.for_model(model, lambda _: None), share_prefixes=share)
        scorer.score(cases[:4])
        runs.append(lambda s=scorer: s.score(cases))
    whole, shared = interleaved_medians(runs, repeats)
    return Row(f"P3 variants {name}: all scores, prefix shared (baseline: not)", "variants/s",
               len(cases) / whole, len(cases) / shared)


def streaming_memory_rows(small: int, large: int, model: str) -> list[Row]:
    """Peak RSS of `dnalens embed` in fresh processes for `small` and `large` inputs (lower is better)."""
    peaks = {}
    with tempfile.TemporaryDirectory() as folder:
        for count in (small, large):
            fasta = Path(folder) / f"in_{count}.fa"
            with open(fasta, "w") as handle:
                rng = np.random.default_rng(count)
                for i in range(count):
                    handle.write(f">s{i}\n{''.join(rng.choice(list('ACGT'), 201))}\n")
            script = ("import resource, sys; from dnalens.cli import main; code = main(sys.argv[1:]); "
                      "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(code)")
            done = subprocess.run([sys.executable, "-c", script, "embed", str(fasta), "-o",
                                   str(Path(folder) / "out.tsv"), "--model", model, "--quiet"],
                                  capture_output=True, text=True, check=True)
            peaks[count] = int(done.stdout.strip().splitlines()[-1]) / 1024
    return [Row(f"P4 peak memory, {large:,} vs {small:,} sequences", "MiB", peaks[small], peaks[large],
                higher_is_better=False, note=f"model {Path(model).name}")]


def load_rows(repeats: int) -> list[Row]:
    """The default model's load time: in a warm process (imports done), and cold in a fresh interpreter."""
    from dnalens.model import load_model

    load_model("default", device="cpu")
    warm = median_time(lambda: load_model("default", device="cpu"), max(3, repeats))
    script = ("import time; t = time.perf_counter(); from dnalens.model import load_model; "
              "load_model('default', device='cpu'); print(time.perf_counter() - t)")
    cold = statistics.median(float(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                                  check=True).stdout.split()[-1]) for _ in range(max(3, repeats)))
    return [Row("P0 load default model, imports done", "s", None, warm, higher_is_better=False),
            Row("P0 load default model, fresh process incl. torch import", "s", None, cold, higher_is_better=False)]


def remote_rows(repeats: int, count: int, model: str = "default") -> list[Row]:
    """P9: local against remote, as the Hugging Face hands-on compares local inference with an inference API: the
    same jobs on the same input, once with the model loaded in this process and once through `dnalens serve` on
    127.0.0.1 (--endpoint's client, remote/), in turn within each repeat; rates from medians, remote / local."""
    from serve_helpers import TOKEN, running

    from dnalens.compute.embedder import EmbeddingOptions
    from dnalens.context import RunContext
    from dnalens.jobs.embed import embed_fasta
    from dnalens.jobs.predict import predict_fasta
    from dnalens.jobs.variants import score_variants
    from dnalens.model import load_model
    from dnalens.positions import parse_positions
    from dnalens.remote import connect

    windows = random_windows(count, 201)
    mutants = [w[:100] + ("A" if w[100] != "A" else "C") + w[101:] for w in windows]
    context = RunContext(quiet=True, warn=lambda message: None)
    local = load_model(model, device="cpu")
    with tempfile.TemporaryDirectory() as folder, running(model=model) as client:
        served = connect(client.base, TOKEN)
        files = {name: Path(folder) / f"{name}.fa" for name in ("ref", "alt")}
        for name, sequences in (("ref", windows), ("alt", mutants)):
            files[name].write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(sequences)))
        workloads = {
            "embed": (lambda m, out: embed_fasta(m, files["ref"], out, options=EmbeddingOptions(), context=context),
                      count, "sequences/s"),
            "predict 10 positions": (lambda m, out: predict_fasta(m, files["ref"], out, context=context,
                                                                  positions=parse_positions("96-105")),
                                     10 * count, "sites/s"),
            "variants (l2, cosine, llr)": (lambda m, out: score_variants(m, out, ref_fasta=files["ref"],
                                                                         alt_fasta=files["alt"], context=context),
                                           count, "variants/s"),
        }
        rows = []
        for name, (job, units, unit) in workloads.items():
            outputs = [Path(folder) / f"{name.split()[0]}_{side}.tsv" for side in ("main", "thread", "remote")]
            main_thread, worker, remote = interleaved_medians(
                [functools.partial(job, local, outputs[0]), functools.partial(_in_thread, job, local, outputs[1]),
                 functools.partial(job, served, outputs[2])], repeats)
            difference = max(_largest_difference(outputs[0], out) for out in outputs[1:])
            rows.append(Row(f"P9 {name}, {count} x 201 bp: remote (baseline: local)", unit, units / worker,
                            units / remote, note=f"model {Path(model).name}; local in the main thread "
                                                 f"{units / main_thread:.2f}; largest difference {difference:.1e}"))
    return rows


def _in_thread(function: Callable, *args) -> None:
    """Runs function in a new thread, as the server runs its model work (with spinning OpenMP threads, on a
    loaded 2-core machine, torch's CPU kernels ran up to 4x faster there than in the main thread; since DNALens
    makes them wait passively, both run alike: docs/PERFORMANCE.md, P9)."""
    failures: list[BaseException] = []

    def target() -> None:
        try:
            function(*args)
        except BaseException as error:  # raised again in the caller's thread
            failures.append(error)

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if failures:
        raise failures[0]


def _largest_difference(first: Path, second: Path) -> float:
    """The largest difference between two tables' numbers (their other cells must be equal)."""
    largest = 0.0
    rows = [[line.split("\t") for line in path.read_text().splitlines() if not line.startswith("#")]
            for path in (first, second)]
    assert len(rows[0]) == len(rows[1]), "the local and remote tables differ in rows"
    for a_row, b_row in zip(*rows):
        for a, b in zip(a_row, b_row):
            if a != b:
                largest = max(largest, abs(float(a) - float(b)))
    return largest


def serve_rows(repeats: int, clients: int = 8, per_client: int = 50) -> list[Row]:
    """P7: `dnalens serve` with the tiny model on the CPU under `clients` concurrent threads × `per_client`
    one-sequence POST /embed requests (tests/serve_helpers.py, as tests/test_serve.py's load test), each run
    checked answer by answer; medians of `repeats` runs on one server."""
    from serve_helpers import embed_load, running

    from dnalens.io.fasta import read_fasta

    records = [r.sequence for r in read_fasta(ROOT / "test-data" / "sequences.fa")]
    with running("--max-sequences", "16", "--max-batch-wait-ms", "5") as client:
        runs = [embed_load(client, records, clients, per_client) for _ in range(max(1, repeats))]
    for run in runs:
        print(f"serve load: {run.summary()}")
        if run.failures:
            raise SystemExit(f"serve load: {len(run.failures)} wrong or failed answers, e.g. {run.failures[0]}")
    name = f"P7 serve, tiny model, {clients} clients × {per_client} /embed"
    median = statistics.median
    return [Row(f"{name}: p50 latency", "ms", None, median(1000 * r.percentile(50) for r in runs),
                higher_is_better=False),
            Row(f"{name}: p95 latency", "ms", None, median(1000 * r.percentile(95) for r in runs),
                higher_is_better=False),
            Row(f"{name}: forward batches per request", "batches", None,
                median(r.forward_batches / r.requests for r in runs), higher_is_better=False),
            Row(f"{name}: throughput", "requests/s", None, median(r.requests / r.seconds for r in runs))]


CLINVAR_SNVS = ROOT.parent / "shared" / "data" / "clinvar_chrX_dev" / "clinvar_chrX_grch37_snv.vcf"
CHRX = ROOT / "build" / "chrX.fa"


def torchrun_rows(repeats: int, vcf: Path, reference: Path, model: str = "default") -> list[Row]:
    """P8: `dnalens variants` on a VCF (all scores) under torchrun with the gloo backend on the CPU, 1 process
    against 2 (each rank scores its shard with the cores split between the ranks; rank 0 merges), and a control:
    1 process with one thread, as each of the 2 ranks has on 2 cores. Whole processes are timed (torchrun's
    start, imports, model loading and the merge included), in turn within each repeat; the outputs are compared
    byte for byte."""
    from dnalens.io.counting import count_vcf_alleles

    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    runs = {"1 process": (1, []), "1 process, 1 thread": (1, ["--threads", "1"]), "2 processes": (2, [])}
    with tempfile.TemporaryDirectory() as folder:
        outputs = {name: Path(folder) / f"run_{index}.tsv" for index, name in enumerate(runs)}

        def run(name: str) -> None:
            processes, extra = runs[name]
            subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
                            str(processes), "-m", "dnalens", "variants", "--vcf", str(vcf), "--reference",
                            str(reference), "--model", model, "-o", str(outputs[name]), "--quiet", *extra],
                           check=True, capture_output=True, env=environment)

        seconds = dict(zip(runs, interleaved_medians([functools.partial(run, name) for name in runs], repeats)))
        same = len({path.read_bytes() for path in outputs.values()}) == 1
    count = count_vcf_alleles(vcf)
    note = _wall_note(seconds, same)
    name = f"P8 variants {count:,} VCF alleles, torchrun gloo CPU: 2 processes"
    return [Row(f"{name} (baseline: 1 process)", "variants/s", count / seconds["1 process"],
                count / seconds["2 processes"], note=note),
            Row(f"{name} (baseline: 1 process, 1 thread)", "variants/s", count / seconds["1 process, 1 thread"],
                count / seconds["2 processes"])]


def _wall_note(seconds: dict[str, float], same: bool, *details: str) -> str:
    """The note of a whole-process row: each run's median wall time, and whether their outputs were identical."""
    return "; ".join(["median wall s: " + ", ".join(f"{name} {value:.1f}" for name, value in seconds.items()),
                      *details, f"outputs {'identical' if same else 'DIFFER'}"])


def resume_rows(repeats: int, vcf: Path, reference: Path, model: str = "default", seed: int = 18) -> list[Row]:
    """P10: the cost of `--resume` on `dnalens variants` (all scores), whole processes timed in turn within each
    repeat: a plain run (the baseline), a resumable run left to finish, and a resumable run killed with SIGKILL at
    a random moment (20-80 % of the plain run's time, seeded) and then run again with the same command. Every
    output is compared byte for byte with the plain run's."""
    import random
    import signal

    from dnalens.io.counting import count_vcf_alleles

    rng = random.Random(seed)
    command = [sys.executable, "-m", "dnalens", "variants", "--vcf", str(vcf), "--reference", str(reference),
               "--model", model, "--quiet"]
    times: dict[str, list[float]] = {"plain": [], "resumable": [], "killed + resumed": []}
    kills: list[float] = []
    same = True
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "plain.tsv"
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([*command, "-o", str(plain)], check=True, capture_output=True)
            times["plain"].append(time.perf_counter() - start)
            resumable = Path(folder) / "resumable.tsv"
            start = time.perf_counter()
            subprocess.run([*command, "-o", str(resumable), "--resume"], check=True, capture_output=True)
            times["resumable"].append(time.perf_counter() - start)
            killed = Path(folder) / "killed.tsv"
            kills.append(rng.uniform(0.2, 0.8) * times["plain"][-1])
            start = time.perf_counter()
            process = subprocess.Popen([*command, "-o", str(killed), "--resume"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            time.sleep(kills[-1])
            process.send_signal(signal.SIGKILL)
            process.wait()
            subprocess.run([*command, "-o", str(killed), "--resume"], check=True, capture_output=True)
            times["killed + resumed"].append(time.perf_counter() - start)
            same = same and plain.read_bytes() == resumable.read_bytes() == killed.read_bytes()
            for path in (resumable, killed):
                path.unlink()
    count = count_vcf_alleles(vcf)
    seconds = {name: float(np.median(values)) for name, values in times.items()}
    note = _wall_note(seconds, same, f"killed at {', '.join(f'{k:.1f}' for k in kills)} s")
    name = f"P10 variants {count:,} VCF alleles --resume"
    return [Row(f"{name}, left to finish (baseline: plain run)", "variants/s", count / seconds["plain"],
                count / seconds["resumable"], note=note),
            Row(f"{name}, killed once and resumed (baseline: plain run)", "variants/s", count / seconds["plain"],
                count / seconds["killed + resumed"])]


def contention_rows(repeats: int, vcf: Path, reference: Path, count: int = 400, jobs: int = 3,
                    model: str = "default") -> list[Row]:
    """P11: torch's OpenMP wait policy, on `dnalens variants` of the VCF's first `count` records, whole processes:
    one job alone, and `jobs` identical jobs at once on the same cores (a shared lab machine, several Galaxy jobs
    on one node). Baseline: libgomp's own default, whose idle threads spin for a while before they sleep
    (OMP_WAIT_POLICY set empty, which libgomp reads as unset after a warning); DNALens: PASSIVE, its default
    (dnalens/__init__.py). Runs in turn within each repeat; every output is compared byte for byte."""
    policies = {"spinning (libgomp default)": "", "passive (DNALens default)": "PASSIVE"}
    times: dict[tuple[str, int], list[float]] = {(policy, n): [] for n in (1, jobs) for policy in policies}
    with tempfile.TemporaryDirectory() as folder:
        subset = Path(folder) / "subset.vcf"
        lines = vcf.read_text().splitlines(keepends=True)
        body = [line for line in lines if not line.startswith("#")][:count]
        subset.write_text("".join(line for line in lines if line.startswith("#")) + "".join(body))
        outputs: set[bytes] = set()
        for _ in range(repeats):
            for policy, n in times:
                paths = [Path(folder) / f"out_{index}.tsv" for index in range(n)]
                environment = {**os.environ, "OMP_WAIT_POLICY": policies[policy]}
                start = time.perf_counter()
                processes = [subprocess.Popen([sys.executable, "-m", "dnalens", "variants", "--vcf", str(subset),
                                               "--reference", str(reference), "--model", model, "-o", str(path),
                                               "--quiet"], env=environment, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL) for path in paths]
                if any(process.wait() for process in processes):
                    raise SystemExit(f"P11: a variants job failed ({policy}, {n} at once)")
                times[(policy, n)].append(time.perf_counter() - start)
                outputs.update(path.read_bytes() for path in paths)
    seconds = {f"{policy}, {n} at once": float(np.median(values)) for (policy, n), values in times.items()}
    spinning, passive = policies
    note = _wall_note(seconds, len(outputs) == 1)
    name = f"P11 variants {len(body):,} VCF alleles per job, passive OpenMP wait"
    return [Row(f"{name}: 1 job alone (baseline: spinning)", "variants/s",
                len(body) / float(np.median(times[(spinning, 1)])), len(body) / float(np.median(times[(passive, 1)])),
                note=note),
            Row(f"{name}: {jobs} jobs at once (baseline: spinning)", "variants/s",
                jobs * len(body) / float(np.median(times[(spinning, jobs)])),
                jobs * len(body) / float(np.median(times[(passive, jobs)])))]


def help_row(repeats: int) -> Row:
    seconds = median_time(lambda: subprocess.run([sys.executable, "-m", "dnalens.cli", "--help"],
                                                 capture_output=True, check=True), max(5, repeats))
    return Row("P6 dnalens --help", "s", None, seconds, higher_is_better=False)


def print_table(rows: list[Row], peak: float) -> None:
    print(f"\nfp32 matmul peak measured in this run: {peak / 1e9:.1f} GFLOP/s ({torch.get_num_threads()} threads)")
    print(f"{'workload':<62} {'unit':<15} {'baseline':>10} {'DNALens':>10} {'ratio':>8}  note")
    for row in rows:
        baseline = f"{row.baseline:10.2f}" if row.baseline is not None else f"{'-':>10}"
        ratio = f"{row.ratio:7.1f}x" if row.ratio is not None else f"{'-':>8}"
        print(f"{row.workload:<62} {row.unit:<15} {baseline} {row.dnalens:10.2f} {ratio}  {row.note}")


def model_rows(args, parser, count: int, repeats: int, peak: float) -> list[Row]:
    """P1-P3 for each benchmark model."""
    from dnalens.model import load_model

    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        models = benchmark_models(Path(folder))
        wanted = args.models.split(",") if args.models else list(models)
        unknown = sorted(set(wanted) - set(models))
        if unknown:
            parser.error(f"--models: unknown {', '.join(unknown)}; choose from {', '.join(models)}")
        for name in wanted:
            model = load_model(str(models[name]), device="cpu")
            limit = min(model.max_bp, 1000)
            if not args.only_variants:
                rows += embedding_rows(f"{name} 201 bp", model, random_windows(count, 201), repeats, peak)
                rows += embedding_rows(f"{name} mixed ≤{limit} bp", model, mixed_lengths(count // 2, limit),
                                       repeats, peak)
            rows += variant_rows(name, model, count // 2, repeats)
            if not (args.skip_bf16 or args.only_variants):
                rows.append(bf16_embedding_row(f"{name} 201 bp", models[name], model, random_windows(count, 201),
                                               repeats))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer sequences and repeats")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--count", type=int, help="sequences per workload (default: 512, or 64 with --quick)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    parser.add_argument("--skip-memory", action="store_true", help="skip P4 (it runs two long embeddings)")
    parser.add_argument("--memory-model", default="default",
                        help="model for P4 (memory does not depend on its speed; test-data/tiny-model is fast)")
    parser.add_argument("--only-memory", action="store_true", help="run P4 alone")
    parser.add_argument("--models", help="comma-separated subset of the benchmark models (default: all three)")
    parser.add_argument("--only-variants", action="store_true", help="run the P3 variant rows alone")
    parser.add_argument("--accelerator", default="cuda" if torch.cuda.is_available() else None,
                        help="device for the P5 rows (default: cuda when present, else no P5 rows)")
    parser.add_argument("--accelerator-count", type=int, default=100_000, help="sequences for P5")
    parser.add_argument("--only-accelerator", action="store_true", help="run the P5 rows alone")
    parser.add_argument("--only-serve", action="store_true", help="run the P7 `dnalens serve` load rows alone")
    parser.add_argument("--only-remote", action="store_true",
                        help="run the P9 rows alone: embed, predict and variants, local against `dnalens serve`")
    parser.add_argument("--remote-model", default="default", help="model for P9 (default: the built-in one)")
    parser.add_argument("--only-torchrun", action="store_true",
                        help="run the P8 rows alone: variants under torchrun (gloo, CPU), 1 process vs 2")
    parser.add_argument("--only-resume", action="store_true",
                        help="run the P10 rows alone: variants --resume left to finish, and killed once and resumed")
    parser.add_argument("--only-contention", action="store_true",
                        help="run the P11 rows alone: OpenMP wait policy, 1 job alone and 3 jobs at once")
    parser.add_argument("--torchrun-vcf", type=Path, default=CLINVAR_SNVS,
                        help="VCF for P8, P10 and P11 (default: the 1,860 ClinVar chrX SNVs in ../shared)")
    parser.add_argument("--torchrun-reference", type=Path, default=CHRX, help="its reference (default: build/chrX.fa)")
    parser.add_argument("--skip-bf16", action="store_true", help="skip the bf16 rows (slow on CPUs without "
                                                                  "AVX512-BF16 or AMX)")
    args = parser.parse_args()

    repeats = 1 if args.quick else args.repeats
    count = args.count or (64 if args.quick else 512)
    peak = matmul_peak_flops(repeats)
    rows: list[Row] = []
    memory_sizes = (2_000, 20_000) if args.quick else (20_000, 200_000)
    if args.only_memory:
        print_table(streaming_memory_rows(*memory_sizes, args.memory_model), peak)
        return
    if args.only_serve or args.only_torchrun:
        print_table(serve_rows(repeats) if args.only_serve
                    else torchrun_rows(repeats, args.torchrun_vcf, args.torchrun_reference), peak)
        return
    if args.only_resume or args.only_contention:
        print_table((resume_rows if args.only_resume else contention_rows)(repeats, args.torchrun_vcf,
                                                                            args.torchrun_reference), peak)
        return
    if args.only_remote:
        print_table(remote_rows(repeats, count, args.remote_model), peak)
        return
    if args.only_accelerator:
        if not args.accelerator:
            parser.error("--only-accelerator: no GPU here; pass --accelerator DEVICE")
        print_table([host_side_row(20_000, repeats)]
                    + accelerator_rows(args.accelerator, args.accelerator_count, repeats), peak)
        return
    rows += model_rows(args, parser, count, repeats, peak)
    if not (args.skip_memory or args.only_variants):
        rows += streaming_memory_rows(*memory_sizes, args.memory_model)
    if not args.only_variants:
        rows.append(host_side_row(2_000 if args.quick else 20_000, repeats))
    if args.accelerator and not args.only_variants:
        rows += accelerator_rows(args.accelerator, args.accelerator_count, repeats)
    if not args.only_variants:
        rows += load_rows(repeats)
        rows.append(help_row(repeats))
    print_table(rows, peak)
    print(f"(peak RSS of this harness: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")
    if args.json:
        args.json.write_text(json.dumps([{**row.__dict__, "ratio": row.ratio} for row in rows], indent=2))


if __name__ == "__main__":
    main()
