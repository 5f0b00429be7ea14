"""Repeat and low-complexity mask of a chromosome, made by NCBI's established tools, cached.

    python -m dnalens_training.repeats --fasta /usr/share/doc/vt/examples/ref/20.fa.gz

WindowMasker (interspersed repeats: over-represented k-mers of the chromosome itself, counted with
`-mk_counts`) and DustMasker (low-complexity sequence, symmetric DUST) both come from Debian's `ncbi-blast+`.
The mask is their union. The tools' intervals are cached under `build/cache/repeats/` as compact integer
arrays, keyed on the FASTA's name, size and modification time and on the tools' versions, so one command
makes it once and later runs read it back in well under a second.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_CACHE = Path(__file__).resolve().parents[2] / "build" / "cache" / "repeats"
TOOLS = ("windowmasker", "dustmasker")
INSTALL_HINT = "apt-get install ncbi-blast+"


class MaskToolMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class RepeatAnnotation:
    """Half-open [start, end) intervals, 0-based, of one chromosome, from each tool."""

    length: int
    windowmasker: np.ndarray  # (n, 2) int64
    dustmasker: np.ndarray  # (n, 2) int64

    def mask(self) -> np.ndarray:
        """True where either tool masked the base."""
        return intervals_to_mask(np.concatenate([self.windowmasker, self.dustmasker]), self.length)


def intervals_to_mask(intervals: np.ndarray, length: int) -> np.ndarray:
    """Boolean array of `length`, True inside the half-open intervals (a difference array, no Python loop)."""
    edges = np.zeros(length + 1, dtype=np.int32)
    if len(intervals):
        starts = np.clip(intervals[:, 0], 0, length)
        ends = np.clip(intervals[:, 1], 0, length)
        np.add.at(edges, starts, 1)
        np.add.at(edges, ends, -1)
    return np.cumsum(edges[:-1]) > 0


def parse_interval_output(text: str) -> np.ndarray:
    """The tools' `-outfmt interval` ("start - end", 0-based, end inclusive) as half-open (n, 2) intervals."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(">"):
            continue
        start, _, end = line.partition(" - ")
        rows.append((int(start), int(end) + 1))
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise MaskToolMissing(f"{name} not found: {INSTALL_HINT}")
    return path


def tool_versions() -> str:
    """One line per tool, its name and the BLAST package version it reports."""
    versions = []
    for name in TOOLS:
        out = subprocess.run([_tool(name), "-version-full"], capture_output=True, text=True, check=True).stdout
        package = next((line.strip() for line in out.splitlines() if "Package:" in line), out.strip())
        versions.append(f"{name} {out.splitlines()[0].split(':', 1)[-1].strip()} ({package})")
    return "; ".join(versions)


def _cache_key(fasta: Path, versions: str) -> str:
    stat = fasta.stat()
    identity = f"{fasta.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{versions}"
    return f"{fasta.name.split('.')[0]}-{hashlib.sha256(identity.encode()).hexdigest()[:16]}"


def _run_tools(plain_fasta: Path, work: Path) -> tuple[np.ndarray, np.ndarray]:
    counts = work / "unit.counts"
    subprocess.run([_tool("windowmasker"), "-mk_counts", "-in", str(plain_fasta), "-out", str(counts),
                    "-sformat", "obinary"], check=True, capture_output=True)
    windowmasker = subprocess.run([_tool("windowmasker"), "-ustat", str(counts), "-in", str(plain_fasta),
                                   "-outfmt", "interval"], check=True, capture_output=True, text=True).stdout
    dust = subprocess.run([_tool("dustmasker"), "-in", str(plain_fasta), "-outfmt", "interval"],
                          check=True, capture_output=True, text=True).stdout
    return parse_interval_output(windowmasker), parse_interval_output(dust)


def _first_record(fasta: Path, target: Path) -> int:
    """Copy the first FASTA record, uncompressed (the tools read plain FASTA); returns its length."""
    opener = gzip.open if fasta.name.endswith(".gz") else open
    length = 0
    with opener(fasta, "rb") as handle, open(target, "wb") as out:
        for number, line in enumerate(handle):
            if line.startswith(b">"):
                if number:
                    break
                out.write(line)
                continue
            out.write(line)
            length += len(line.rstrip())
    return length


def repeat_annotation(fasta: Path, cache: Path = DEFAULT_CACHE, log=print) -> RepeatAnnotation:
    """The first record's repeat annotation, from the cache or made now (seconds per 60 Mb chromosome)."""
    fasta = Path(fasta)
    versions = tool_versions()
    cache.mkdir(parents=True, exist_ok=True)
    cached = cache / f"{_cache_key(fasta, versions)}.npz"
    if cached.exists():
        data = np.load(cached)
        return RepeatAnnotation(int(data["length"]), data["windowmasker"], data["dustmasker"])
    with tempfile.TemporaryDirectory(dir=cache) as folder:
        work = Path(folder)
        plain = work / "sequence.fa"
        length = _first_record(fasta, plain)
        windowmasker, dust = _run_tools(plain, work)
        annotation = RepeatAnnotation(length, windowmasker, dust)
        partial = work / "annotation.npz"
        np.savez_compressed(partial, length=length, windowmasker=windowmasker, dustmasker=dust,
                            versions=np.array(versions))
        partial.replace(cached)  # whole or absent: never a half-written cache entry
    log(f"repeat mask of {fasta}: {annotation.mask().mean():.1%} masked ({versions}); cached in {cached}")
    return annotation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fasta", type=Path, required=True, action="append", help="chromosome FASTA (repeatable)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    try:
        for fasta in args.fasta:
            annotation = repeat_annotation(fasta, args.cache)
            mask = annotation.mask()
            print(f"{fasta}: {annotation.length:,} bp, windowmasker {len(annotation.windowmasker):,} intervals, "
                  f"dustmasker {len(annotation.dustmasker):,} intervals, {mask.mean():.1%} masked")
    except MaskToolMissing as error:
        raise SystemExit(f"dnalens-training: error: {error}") from None


if __name__ == "__main__":
    main()
