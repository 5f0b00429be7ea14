"""The DNA language-model families people use, each with its own published code, config and tokenizer
(../shared/model_zoo/<family>/model: tiny random weights), through every DNALens operation on the CPU.

Skipped where ../shared/model_zoo is absent, and per family where an optional package it needs is missing
(the one-line refusal for that case is tested on its own).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import SHARED, random_dna
from dnalens.compute.embedder import Embedder, EmbeddingOptions
from dnalens.compute.scoring import CAUSAL_LIKELIHOOD, MASKED_KMER, MASKED_TOKEN, PSEUDO_LIKELIHOOD
from dnalens.errors import DNALensError
from dnalens.model import load_model
from dnalens.model.tokens import token_spans
from dnalens.runner import Runner

ZOO = SHARED / "model_zoo"
# folder -> (optional Python packages its code needs, expected per-base method, repairs it must get here)
FAMILIES = {
    "dnabert2": (("einops",), PSEUDO_LIKELIHOOD, {"meta-device", "weight-ties", "buffers"}),
    "nucleotide_transformer_v1": ((), MASKED_KMER, set()),
    "hyenadna": ((), CAUSAL_LIKELIHOOD, set()),
    "caduceus": (("mamba_ssm", "triton"), MASKED_TOKEN, {"tie-weights-signature", "weight-ties", "mamba-cpu"}),
    "gpn": (("gpn",), MASKED_TOKEN, {"package-registration"}),
    "gena_lm": ((), PSEUDO_LIKELIHOOD, {"removed-helpers", "weight-ties", "buffers"}),
    "mistral_dna": ((), CAUSAL_LIKELIHOOD, set()),
}
REMOTE_CODE = {"dnabert2", "hyenadna", "caduceus", "gena_lm"}

pytestmark = pytest.mark.skipif(not ZOO.is_dir(), reason="../shared/model_zoo is absent")


def folder(family: str) -> Path:
    return ZOO / family / "model"


def missing_packages(family: str) -> list[str]:
    return [p for p in FAMILIES[family][0] if importlib.util.find_spec(p) is None]


def _folder_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for item in sorted(path.iterdir()):
        digest.update(item.name.encode() + item.read_bytes())
    return digest.hexdigest()


_CACHE: dict[str, object] = {}


@pytest.fixture(params=list(FAMILIES))
def family(request) -> str:
    name = request.param
    if not folder(name).is_dir():
        pytest.skip(f"{name} is not in the model zoo")
    if missing_packages(name):
        pytest.skip(f"{name} needs {', '.join(missing_packages(name))} (its refusal is tested separately)")
    return name


@pytest.fixture
def model(family):
    if family not in _CACHE:
        _CACHE[family] = load_model(str(folder(family)), device="cpu", trust_remote_code=True)
    return _CACHE[family]


def runner_for(model) -> Runner:
    return Runner.for_model(model, warn=lambda message: None)


# ---- loading -----------------------------------------------------------------------------------------------
def test_loads_with_its_own_unmodified_code(family):
    before = _folder_digest(folder(family))
    loaded = load_model(str(folder(family)), device="cpu", trust_remote_code=True)
    assert _folder_digest(folder(family)) == before  # nothing written into the user's folder
    cls = type(loaded.model)
    if family in REMOTE_CODE:  # the class is the folder's own file, byte for byte
        source = Path(sys.modules[cls.__module__].__file__)
        assert source.read_bytes() == (folder(family) / source.name).read_bytes()
    applied = {repair.name for repair in loaded.repairs.applied}
    assert FAMILIES[family][2] <= applied
    for repair in loaded.repairs.applied:
        assert "transformers" in repair.versions or repair.versions.startswith("any")


def test_dnabert2_config_as_published_without_v4_attributes(tmp_path):
    """DNABERT-2's published config.json has no is_decoder/pad_token_id: repaired on the config object only."""
    if not folder("dnabert2").is_dir() or missing_packages("dnabert2"):
        pytest.skip("DNABERT-2 or einops absent")
    copy = Path(shutil.copytree(folder("dnabert2"), tmp_path / "dnabert2"))
    config = json.loads((copy / "config.json").read_text())
    for key in ("is_decoder", "pad_token_id"):
        config.pop(key)
    (copy / "config.json").write_text(json.dumps(config))
    loaded = load_model(str(copy), device="cpu", trust_remote_code=True)
    repair = next(r for r in loaded.repairs.applied if r.name == "config-defaults")
    assert "is_decoder=False" in repair.detail
    assert "is_decoder" not in json.loads((copy / "config.json").read_text())


def test_lm_head_is_the_checkpoints_not_random(family, model):
    """Every LM-head weight is either in the checkpoint or tied to one that is (DNABERT-2, GENA-LM: tied)."""
    from safetensors import safe_open

    with safe_open(folder(family) / "model.safetensors", "pt") as handle:
        stored = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    # transformers' own renaming of old checkpoints (LayerNorm gamma/beta)
    stored.update({k.replace(".gamma", ".weight").replace(".beta", ".bias"): v for k, v in list(stored.items())})
    by_object = {}
    for name, param in model.model.named_parameters(remove_duplicate=False):
        by_object.setdefault(id(param), []).append(name)
    prefix = model.model.base_model_prefix + "."
    head = [(n, p) for n, p in model.model.named_parameters(remove_duplicate=False) if not n.startswith(prefix)]
    assert head
    for name, param in head:
        names = by_object[id(param)]
        source = next((n for n in names if n in stored), None)
        assert source is not None, f"{names} not in the checkpoint"
        assert torch.equal(param.detach().float(), stored[source].float()), name


def test_a_head_the_checkpoint_lacks_and_nothing_ties_is_refused_not_random(tmp_path):
    """GENA-LM saved with tied weights stores its decoder once; told not to tie, its head would be random."""
    if not folder("gena_lm").is_dir():
        pytest.skip("GENA-LM is not in the model zoo")
    copy = Path(shutil.copytree(folder("gena_lm"), tmp_path / "gena"))
    config = json.loads((copy / "config.json").read_text())
    config["tie_word_embeddings"] = False
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(DNALensError, match="random") as refused:
        load_model(str(copy), device="cpu", trust_remote_code=True)
    assert "cls.predictions.decoder.weight" in str(refused.value) and "\n" not in str(refused.value)


# ---- embeddings ----------------------------------------------------------------------------------------------
def test_sequence_alone_equals_its_embedding_in_a_mixed_batch(model):
    sequences = [random_dna(40, 1), random_dna(57, 2), random_dna(23, 3), random_dna(57, 4), random_dna(31, 5)]
    embedder = Embedder(model, EmbeddingOptions(), runner_for(model))
    together = embedder.embed(sequences)
    alone = np.stack([embedder.embed([s])[0] for s in sequences])
    assert np.abs(together - alone).max() <= 1e-4


def _own_states(family: str, model, ids: torch.Tensor) -> list[torch.Tensor]:
    """Hidden states straight from the family's own code (its forward or its own modules), one sequence."""
    own = model.model
    with torch.inference_mode():
        if family == "hyenadna":  # its own list is embeddings, each block, then the final norm (n + 2 entries)
            states = own.hyena(ids, output_hidden_states=True).hidden_states
            return [*states[: model.num_layers], states[-1]]
        if family == "dnabert2":  # its own encoder returns every layer (unpadded: one sequence, so no padding)
            layers, _ = own.bert(ids, attention_mask=torch.ones_like(ids), output_all_encoded_layers=True)
            embeddings = own.bert.embeddings(ids, torch.zeros_like(ids), None)
            return [embeddings, *(layer.unsqueeze(0) for layer in layers)]
        if family == "gpn":  # ignores output_hidden_states: run its own modules one after the other
            body = own.model
            x = body.embeddings(input_ids=ids)
            states = [x]
            for layer in body.encoder.layer:
                x = layer(x)
                states.append(x)
            states[-1] = body.ln_f(x)
            return states
        return list(own.base_model(input_ids=ids, output_hidden_states=True).hidden_states)


@pytest.mark.parametrize("layer", ["-1", "0", "1", "0:-1", "all-mean"])
def test_every_layer_form_matches_the_familys_own_forward_pass(family, model, layer):
    sequence = random_dna(37, 11)
    ids = torch.tensor(model.encode([sequence]))
    states = _own_states(family, model, ids)
    assert len(states) == model.num_layers + 1
    chosen = {"-1": [model.num_layers], "0": [0], "1": [1], "0:-1": list(range(model.num_layers + 1)),
              "all-mean": list(range(1, model.num_layers + 1))}[layer]
    content = ~torch.isin(ids[0], torch.tensor(model.tokenizer.all_special_ids))
    expected = torch.stack([states[i][0].float() for i in chosen]).mean(0)[content].mean(0).numpy()
    got = Embedder(model, EmbeddingOptions(layer=layer), runner_for(model)).embed([sequence])[0]
    assert np.abs(got - expected).max() <= 1e-5 * max(1.0, float(np.abs(expected).max()))


def test_a_model_that_gives_only_its_last_layer_refuses_other_layers_in_one_line(model):
    from dnalens.model.forward import LAST_ONLY, LayerReader

    reader = model.layer_reader
    model.layer_reader = LayerReader(LAST_ONLY, model.num_layers, body=model.body)
    try:
        last = Embedder(model, EmbeddingOptions(layer="-1"), runner_for(model)).embed(["ACGTAGCTAGGATCCA"])
        assert np.isfinite(last).all()
        with pytest.raises(DNALensError, match="only --layer -1") as refused:
            Embedder(model, EmbeddingOptions(layer="1"), runner_for(model))
        assert "\n" not in str(refused.value)
    finally:
        model.layer_reader = reader


# ---- probabilities and llr -------------------------------------------------------------------------------------
def test_predict_probabilities_sum_to_one_with_the_familys_method(family, model, write_fasta, tmp_path):
    from dnalens.jobs.predict import predict_fasta
    from dnalens.positions import parse_positions

    fasta = write_fasta({"s1": random_dna(24, 21), "s2": random_dna(17, 22)})
    result = predict_fasta(model, fasta, tmp_path / "p.tsv", positions=parse_positions("1,9,17"),
                           runner=runner_for(model))
    assert result.method == FAMILIES[family][1]
    rows = [line.split("\t") for line in (tmp_path / "p.tsv").read_text().splitlines()
            if line and not line.startswith("#")][1:]
    assert len(rows) == 6
    for row in rows:
        probabilities = [float(x) for x in row[3:7]]
        assert all(0 <= p <= 1 for p in probabilities)
        assert math.isclose(sum(probabilities), 1.0, abs_tol=1e-5)
        assert row[7] == FAMILIES[family][1]


def _direct_llr(model, ref: str, alt: str, site: int) -> float:
    """log P(alt) - log P(ref) computed with the model's own forward pass, nothing of DNALens's scoring."""
    own = model.model
    with torch.inference_mode():
        if model.family == "causal":
            def log_likelihood(sequence: str) -> float:
                ids = torch.tensor(model.encode([sequence]))
                logits = own(input_ids=ids).logits[0, :-1].float()
                return float(torch.log_softmax(logits, -1).gather(-1, ids[0, 1:, None]).sum())

            return log_likelihood(alt) - log_likelihood(ref)
        ids = model.encode([ref])[0]
        spans = token_spans(model.tokenizer, ids, ref)
        index = next(i for i, (start, end) in enumerate(spans) if start <= site < end)
        start, end = spans[index]
        masked = list(ids)
        masked[index] = model.mask_id
        log_probs = torch.log_softmax(own(input_ids=torch.tensor([masked])).logits[0, index].float(), -1)
        token = ref[start:end]
        ref_id = model.token_id(token)
        alt_id = model.token_id(token[: site - start] + alt[site] + token[site - start + 1 :])
        return float(log_probs[alt_id] - log_probs[ref_id])


def _direct_pll(model, sequence: str) -> float:
    """Σ log P(token | all other tokens), every non-special token masked in turn, with the model's own forward."""
    ids = model.encode([sequence])[0]
    special = set(model.tokenizer.all_special_ids)
    total = 0.0
    with torch.inference_mode():
        for index, token in enumerate(ids):
            if token in special:
                continue
            masked = list(ids)
            masked[index] = model.mask_id
            logits = model.model(input_ids=torch.tensor([masked])).logits[0, index].float()
            total += float(torch.log_softmax(logits, -1)[token])
    return total


def test_variants_llr_paired_and_vcf_equal_a_direct_computation(family, model, tmp_path):
    from dnalens.jobs.variants import score_variants
    from dnalens.ops.variant_scoring import supported_scores

    ref = random_dna(31, 31)
    site = 15
    alt_base = next(b for b in "ACGT" if b != ref[site])
    alt = ref[:site] + alt_base + ref[site + 1 :]
    (tmp_path / "ref.fa").write_text(f">v\n{ref}\n")
    (tmp_path / "alt.fa").write_text(f">v\n{alt}\n")
    (tmp_path / "genome.fa").write_text(f">chr1\n{ref[:10].lower()}{ref[10:]}\n")  # soft-masked start
    (tmp_path / "v.vcf").write_text("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=31>\n"
                                    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                                    f"chr1\t{site + 1}\tv1\t{ref[site]}\t{alt_base}\t.\t.\t.\n")
    outputs = {}
    for mode, arguments in {"paired": {"ref_fasta": tmp_path / "ref.fa", "alt_fasta": tmp_path / "alt.fa"},
                            "vcf": {"vcf": tmp_path / "v.vcf", "reference": tmp_path / "genome.fa", "window": 31}
                            }.items():
        score_variants(model, tmp_path / f"{mode}.tsv", runner=runner_for(model), **arguments)
        lines = [line for line in (tmp_path / f"{mode}.tsv").read_text().splitlines() if not line.startswith("#")]
        header, row = lines[0].split("\t"), lines[1].split("\t")
        outputs[mode] = dict(zip(header, row))
    for values in outputs.values():
        assert math.isfinite(float(values["l2"])) and math.isfinite(float(values["cosine"]))
    assert math.isclose(float(outputs["paired"]["l2"]), float(outputs["vcf"]["l2"]), rel_tol=1e-5, abs_tol=1e-6)
    if "llr" in supported_scores(model):
        masked_bpe = model.family != "causal" and model.tokens.kind == "bpe"
        direct = _direct_pll(model, alt) - _direct_pll(model, ref) if masked_bpe else _direct_llr(model, ref, alt, site)
        for values in outputs.values():
            assert math.isfinite(float(values["llr"]))
            assert math.isclose(float(values["llr"]), direct, rel_tol=1e-4, abs_tol=1e-5)


def test_lowercase_input_gives_the_numbers_of_uppercase(model, write_fasta, tmp_path):
    """Soft-masked (lower-case) bases, N and IUPAC codes read from a FASTA file: the numbers of upper case."""
    from dnalens.jobs.embed import embed_fasta
    from dnalens.jobs.predict import predict_fasta
    from dnalens.positions import parse_positions

    sequences = {"a": random_dna(33, 41), "b": random_dna(20, 42) + "NRY" + random_dna(9, 43)}
    outputs = {}
    for case, records in (("upper", sequences), ("lower", {k: v.lower() for k, v in sequences.items()})):
        fasta = write_fasta(records, f"{case}.fa")
        embed_fasta(model, fasta, tmp_path / f"{case}_e.tsv", runner=runner_for(model))
        predict_fasta(model, fasta, tmp_path / f"{case}_p.tsv", positions=parse_positions("3,21,22"),
                      runner=runner_for(model))
        outputs[case] = [[line for line in (tmp_path / f"{case}_{kind}.tsv").read_text().splitlines()
                          if not line.startswith("#")] for kind in ("e", "p")]
    assert outputs["upper"] == outputs["lower"]


def test_readme_compatibility_table_is_what_the_families_do(tmp_path):
    import family_table

    if family_table.missing_packages():
        pytest.skip(f"needs {', '.join(family_table.missing_packages())} to run every family")
    readme = Path(__file__).resolve().parent.parent / "README.md"
    assert family_table.readme_copy(readme) == family_table.compute(tmp_path), \
        "README.md's table is out of date: python scripts/compat_table.py --write"


# ---- missing optional packages and CPU-only kernels (separate interpreters: imports are process-wide) ----------
_BLOCKED_RUN = textwrap.dedent("""
    import contextlib, io, json, sys
    for blocked in ("einops", "gpn", "mamba_ssm"):
        sys.modules[blocked] = None  # as if it were not installed
    from dnalens.cli import main
    results = []
    for argv in json.loads(sys.argv[1]):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            results.append({"code": main(argv), "err": err.getvalue()})
    print(json.dumps(results))
""")
NEEDS = {"dnabert2": "einops", "gpn": "gpn", "caduceus": "mamba_ssm"}


def test_missing_optional_package_is_one_line_naming_it(tmp_path):
    families = [f for f in NEEDS if folder(f).is_dir()]
    fasta = tmp_path / "s.fa"
    fasta.write_text(">s\nACGTACGT\n")
    runs = [["embed", str(fasta), "-o", str(tmp_path / "e.tsv"), "--model", str(folder(f)), "--trust-remote-code"]
            for f in families]
    done = subprocess.run([sys.executable, "-c", _BLOCKED_RUN, json.dumps(runs)], capture_output=True, text=True,
                          timeout=300)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    for family, result in zip(families, json.loads(done.stdout.strip().splitlines()[-1])):
        lines = result["err"].strip().splitlines()
        assert result["code"] == 1 and len(lines) == 1, result["err"]
        assert lines[0].startswith("dnalens: error:") and NEEDS[family] in lines[0], lines[0]


def test_dnabert2_runs_its_pytorch_attention_on_a_cpu_where_triton_is_installed():
    """The published code crashes there (its Triton kernel asserts CUDA tensors); DNALens runs its PyTorch path."""
    if not folder("dnabert2").is_dir() or missing_packages("dnabert2"):
        pytest.skip("DNABERT-2 or einops absent")
    if importlib.util.find_spec("triton") is None:
        pytest.skip("triton is not installed (the published code then takes its PyTorch path by itself)")
    model = load_model(str(folder("dnabert2")), device="cpu", trust_remote_code=True)
    assert "triton-on-cpu" in {r.name for r in model.repairs.applied}
    embed = Embedder(model, EmbeddingOptions(), runner_for(model)).embed
    assert np.isfinite(embed(["ACGTAGCTAGCTAGGATCGA"])).all()
    module = sys.modules[type(model.model.bert.encoder.layer[0].attention.self).__module__]
    kernel = module._dnalens_triton_kernels["flash_attn_qkvpacked_func"]
    module.flash_attn_qkvpacked_func = kernel  # the published code as it runs without the repair
    try:
        with pytest.raises(AssertionError):
            embed(["ACGTAGCTAGCTAGGATCGA"])
    finally:
        model.move_to("cpu")  # every move re-applies the repair
    assert module.flash_attn_qkvpacked_func is None


# ---- Galaxy: a model's own code runs only where an administrator trusted it at install time -----------------
def test_installed_code_runs_only_when_trusted_at_install_and_unchanged(run_cli, tmp_path):
    if not folder("hyenadna").is_dir():
        pytest.skip("HyenaDNA is not in the model zoo")
    fasta = tmp_path / "s.fa"
    fasta.write_text(">s\nACGTACGTAGCT\n")
    refused = run_cli("register-model", "--model", folder("hyenadna"), "--target-dir", tmp_path / "plain",
                      "--output-json", tmp_path / "plain.json", "--value", "hyena")
    assert refused.code == 1 and "custom code" in refused.err and "administrator" in refused.err
    registered = run_cli("register-model", "--model", folder("hyenadna"), "--target-dir", tmp_path / "tools",
                         "--output-json", tmp_path / "dm.json", "--value", "hyena", "--trust-remote-code")
    assert registered.code == 0, registered.err
    installed = tmp_path / "tools" / "hyena"
    assert (installed / "modeling_hyena.py").is_file() and (installed / "dnalens_trusted_code.json").is_file()

    def embed(*flags):
        return run_cli("embed", fasta, "-o", tmp_path / "e.tsv", "--model", installed, "--quiet", *flags)

    assert embed("--trust-installed-code").code == 0  # what the Galaxy tools pass for an installed model
    assert "custom code" in embed().err  # nothing trusted without the flag
    with open(installed / "modeling_hyena.py", "a") as code:
        code.write("\n# changed after installation\n")
    changed = embed("--trust-installed-code")
    assert changed.code == 1 and "custom code" in changed.err
