"""Large inputs, run as a user would: wall time and peak memory of whole `dnalens` commands.

    python bench/large_inputs.py [--model default] [--records 100000] [--variants 100000]

Makes, in a temporary folder: a FASTA of `--records` 100 bp sequences, a 1 Mb sequence (from chr20 when the
Debian genome is installed, else random), and a VCF of `--variants` SNVs on chr20 with REF from the genome
(needs `apt-get install vt-examples`). Each command runs in its own process under /usr/bin/time, so the peak
memory is the whole program's. Prints one table; docs/RELIABILITY.md quotes it.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHR20 = Path("/usr/share/doc/vt/examples/ref/20.fa.gz")


def chr20_sequence() -> str | None:
    if not CHR20.exists():
        return None
    with gzip.open(CHR20, "rt") as handle:
        return "".join(line.strip() for line in handle if not line.startswith(">")).upper()


def make_inputs(folder: Path, records: int, variants: int, genome: str | None) -> dict[str, Path]:
    rng = random.Random(0)
    paths = {"records": folder / "records.fa", "long": folder / "long.fa"}
    with open(paths["records"], "w") as out:
        for i in range(records):
            out.write(f">r{i}\n{''.join(rng.choice('ACGT') for _ in range(100))}\n")
    long = genome[30_000_000:31_000_000] if genome else "".join(rng.choice("ACGT") for _ in range(1_000_000))
    paths["long"].write_text(">one_megabase\n" + "\n".join(long[i:i + 60] for i in range(0, len(long), 60)) + "\n")
    if genome:
        paths["vcf"] = folder / "snvs.vcf"
        sites = sorted(rng.sample(range(100_000, 62_000_000), variants * 2))
        lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
        for pos in sites:
            ref = genome[pos - 1]
            if ref not in "ACGT":
                continue
            lines.append(f"20\t{pos}\t.\t{ref}\t{rng.choice([b for b in 'ACGT' if b != ref])}\t.\t.\t.")
            if len(lines) - 2 == variants:
                break
        paths["vcf"].write_text("\n".join(lines) + "\n")
    return paths


def measure(command: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS in MiB, exit code and the last stderr line of one command."""
    started = time.monotonic()
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    wall = time.monotonic() - started
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.startswith("dnalens")]
    return wall, int(peak.group(1)) / 1024 if peak else float("nan"), result.returncode, (lines or [""])[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--variants", type=int, default=100_000)
    args = parser.parse_args()
    dnalens = [sys.executable, "-m", "dnalens.cli"]
    genome = chr20_sequence()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        paths = make_inputs(folder, args.records, args.variants, genome)
        runs = [
            ("load only (dnalens info)", [*dnalens, "info", "--model", args.model]),
            (f"embed {args.records:,} records of 100 bp", [*dnalens, "embed", str(paths["records"]), "-o",
                                                          str(folder / "e.tsv"), "--model", args.model]),
            ("embed one 1 Mb sequence (windows)", [*dnalens, "embed", str(paths["long"]), "-o",
                                                  str(folder / "l.tsv"), "--model", args.model]),
            ("predict 2,000 positions of the 1 Mb sequence", [*dnalens, "predict", str(paths["long"]), "--positions",
                                                              "1-2000", "-o", str(folder / "p1.tsv"),
                                                              "--model", args.model]),
            ("predict 20,000 positions of the 1 Mb sequence", [*dnalens, "predict", str(paths["long"]), "--positions",
                                                               "1-20000", "-o", str(folder / "p2.tsv"),
                                                               "--model", args.model]),
            ("predict positions 1-2000000000 (refused)", [*dnalens, "predict", str(paths["long"]), "--positions",
                                                          "1-2000000000", "-o", str(folder / "p3.tsv"),
                                                          "--model", args.model]),
        ]
        if "vcf" in paths:
            runs.append((f"variants, VCF of {args.variants:,} SNVs on chr20", [
                *dnalens, "variants", "--vcf", str(paths["vcf"]), "--reference", str(CHR20), "-o",
                str(folder / "v.tsv"), "--vcf-out", str(folder / "v.vcf"), "--model", args.model]))
        print(f"model: {args.model}")
        print("| run | exit | wall s | peak RSS MiB | last line |")
        print("|---|---|---|---|---|")
        for name, command in runs:
            wall, peak, code, last = measure([*command, "--quiet"] if "info" not in command else command)
            print(f"| {name} | {code} | {wall:.1f} | {peak:.0f} | {last[:90]} |", flush=True)


if __name__ == "__main__":
    main()
