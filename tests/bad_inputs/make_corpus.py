"""Write the bad-input corpus: files people really produce, and what DNALens must say about each.

    python tests/bad_inputs/make_corpus.py

cases.json lists, per case, the command (placeholders: {here} this folder, {data} test-data, {model} the tiny
test model, {out} an output path) and either the words the one-line error must contain, or, for valid but
unusual input, the warning expected and that the output is written.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
TINY = HERE.parent.parent / "test-data" / "tiny-model"
GOOD = "ACGTACGTTAGCCGATAGGCTAACGTTAGC"
VCF_HEAD = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"

LABELLED_HEADER = "sequence\tlabel\n"
FILES: dict[str, str | bytes] = {
    # Learning (classify / regress)
    "labels_wrong_columns.tsv": "seq\tclass\n" + f"{GOOD}\t1\n" * 6,
    "labels_header_only.tsv": LABELLED_HEADER,
    "labels_one_class.tsv": LABELLED_HEADER + f"{GOOD}\tpromoter\n" * 10,
    "labels_rare_class.tsv": LABELLED_HEADER + f"{GOOD}\ta\n" * 10 + f"{GOOD}\tb\n" * 2,
    "labels_words.tsv": LABELLED_HEADER + f"{GOOD}\thigh\n{GOOD}\tlow\n" * 5,
    "labels_rna.tsv": LABELLED_HEADER + "ACGUACGU\t1\n" + f"{GOOD}\t0\n" * 5,
    "not_a_learner.json": '{"format": "something-else", "skops": ""}',
    "learner_not_json.json": "this is not JSON",
    "empty.fa": "",
    "whitespace_only.fa": "\n  \n\t\n",
    "no_header.fa": GOOD + "\n",
    "header_only.fa": ">lonely\n",
    "empty_record_middle.fa": f">a\n{GOOD}\n>b\n>c\n{GOOD}\n",
    "blank_header.fa": f">\n{GOOD}\n",
    "duplicate_ids.fa": f">same\n{GOOD}\n>same\n{GOOD}\n",
    "rna.fa": ">rna\nACGUACGUUAGC\n",
    "protein.fa": ">insulin\nMALWMRLLPLLALLALWGPDPAAA\n",
    "digits.fa": ">numbered\nACGT 12 ACGT\n",
    "gap_dash.fa": ">aligned\nACG--TACGT\n",
    "asterisk.fa": ">star\nACGT*ACGT\n",
    "binary.fa": bytes(range(256)) * 4,
    "markdown.fa": "# My sequences\n\n* ACGT\n",
    "fastq.fa": f"@read1\n{GOOD}\n+\n{'I' * len(GOOD)}\n",
    "crlf.fa": f">win1\r\n{GOOD}\r\n>win2\r\n{GOOD[::-1]}\r\n",
    "soft_masked.fa": f">lower\n{GOOD.lower()}\n>mixed\nACGTacgtACGT\n",
    "n_runs.fa": f">ns\n{GOOD}{'N' * 40}{GOOD}\n",
    "iupac.fa": ">amb\nACGTRYKMSWBDHVN\n",
    "long.fa": ">long\n" + GOOD * 40 + "\n",
    "positions.fa": f">short\n{GOOD}\n",
    "pairs_ref.fa": f">p1\n{GOOD}\n>p2\n{GOOD}\n",
    "pairs_alt_short.fa": f">p1\n{GOOD[:10]}T{GOOD[11:]}\n",
    "pairs_alt_other_ids.fa": f">p1\n{GOOD[:10]}T{GOOD[11:]}\n>zz\n{GOOD}\n",
    "pairs_alt_extra.fa": f">p1\n{GOOD[:10]}T{GOOD[11:]}\n>p2\n{GOOD}\n>p3\n{GOOD}\n",
    "pairs_identical.fa": f">p1\n{GOOD}\n>p2\n{GOOD}\n",
    "vcf_no_header.vcf": "20\t100\t.\tA\tG\t.\t.\t.\n",
    "vcf_empty.vcf": "",
    "vcf_no_fileformat.vcf": "#CHROM\tPOS\tID\tREF\tALT\n20\t100\t.\tA\tG\n",
    "vcf_bad_pos.vcf": VCF_HEAD + "20\tabc\tx\tA\tG\t.\t.\t.\n",
    "vcf_pos_zero.vcf": VCF_HEAD + "20\t0\tx\tA\tG\t.\t.\t.\n",
    "vcf_few_columns.vcf": VCF_HEAD + "20\t100\tx\tA\n",
    "vcf_ref_not_dna.vcf": VCF_HEAD + "20\t100\tx\tZ\tG\t.\t.\t.\n",
    "vcf_unknown_chrom.vcf": VCF_HEAD + "chrUn_gl000220\t100\tx\tA\tG\t.\t.\t.\n",
    "vcf_space_separated.vcf": "##fileformat=VCFv4.2\n#CHROM POS ID REF ALT\n20 100 x A G\n",
    "empty_reference.fa": "",
    "table_ragged.tsv": "group\tllr\nexon\t0.1\nexon\n",
    "table_empty.tsv": "",
    "table_one_group.tsv": "group\tllr\nexon\t0.1\nexon\t0.2\nexon\t0.3\n",
    "table_no_numbers.tsv": "group\tllr\nexon\tNA\nintron\tNA\n",
    # Second security/reliability round (issue 21)
    "labels_empty_label.tsv": LABELLED_HEADER + f"{GOOD}\ta\n{GOOD}\tb\n" * 5 + f"{GOOD}\t \n",
    "targets_underscore.tsv": LABELLED_HEADER + f"{GOOD}\t1_000\n" + f"{GOOD}\t2.5\n" * 9,
    "targets_not_finite.tsv": LABELLED_HEADER + f"{GOOD}\tinf\n" + f"{GOOD}\t2.5\n" * 9,
    "table_duplicate_columns.tsv": "group\tllr\tllr\nexon\t0.1\t9\nintron\t0.2\t9\n",
    "labels_twice.tsv": "a\tx\nb\ty\na\ty\n",
    "bom.fa": "\ufeff>bom_record\n" + GOOD + "\n",
    "tab_in_id.fa": f">left\tright side\n{GOOD}\n",
}
GZIPPED = {
    "truncated.fa.gz": f">t\n{GOOD * 2000}\n",
    "truncated.vcf.gz": VCF_HEAD + "20\t100\tx\tA\tG\t.\t.\t.\n" * 3000,
}


def model_folders() -> None:
    models = HERE / "models"
    shutil.rmtree(models, ignore_errors=True)
    for name in ("no_weights", "corrupt_weights", "pickle_only", "no_config", "remote_code", "remote_code_known_type"):
        folder = models / name
        folder.mkdir(parents=True)
        for item in ("config.json", "tokenizer.json", "tokenizer_config.json"):
            shutil.copy(TINY / item, folder / item)
    (models / "corrupt_weights" / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    (models / "pickle_only" / "pytorch_model.bin").write_bytes(b"PK\x03\x04 not really a checkpoint")
    (models / "no_config" / "config.json").unlink()
    shutil.copy(TINY / "model.safetensors", models / "no_config" / "model.safetensors")
    shutil.copy(TINY / "model.safetensors", models / "remote_code" / "model.safetensors")
    config = json.loads((models / "remote_code" / "config.json").read_text())
    config["auto_map"] = {"AutoConfig": "my_code.MyConfig", "AutoModelForMaskedLM": "my_code.MyModel"}
    config["model_type"] = "my-own-dna-model"
    (models / "remote_code" / "config.json").write_text(json.dumps(config, indent=2))
    # Own code under a model_type transformers knows (as DNABERT-2's "bert"): must not load with the built-in class.
    shutil.copy(TINY / "model.safetensors", models / "remote_code_known_type" / "model.safetensors")
    config = json.loads((models / "remote_code_known_type" / "config.json").read_text())
    config["auto_map"] = {"AutoModelForMaskedLM": "my_code.MyModel"}
    (models / "remote_code_known_type" / "config.json").write_text(json.dumps(config, indent=2))


def main() -> None:
    for name, content in FILES.items():
        path = HERE / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode())
    for name, content in GZIPPED.items():
        data = gzip.compress(content.encode(), mtime=0)
        (HERE / name).write_bytes(data[: len(data) // 2])
    (HERE / "not_really.fa.gz").write_bytes(b"\x1f\x8b" + b"this is not gzip data at all" * 4)
    model_folders()
    print(f"wrote the corpus to {HERE}")


if __name__ == "__main__":
    main()
