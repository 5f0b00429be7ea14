"""merge → one file: the outputs of `--shard K/N` runs joined into the unsharded run's output.

Every shard must come from the same run but for the shard: the same operation, model and weights, versions,
parameters and input (its name and size), and shards 1..N of one N each exactly once. The merged file is the
first shard's header with the shard left out of its parameters, then every shard's data lines in shard order:
byte for byte what the unsharded run writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..io.outputs import OutputSet
from ..io.shard_files import ShardFile, read_shard_file
from ..ops.variants import check_merged_pairs
from ..provenance import PARAMETERS, parameters_line
from ..shards import SHARD_PARAMETERS, Shard, parse_shard


@dataclass
class MergeResult:
    shards: int
    lines: int  # data lines written
    format: str
    outputs: list[Path]


def merge_shards(shards: list[str | Path], output: str | Path) -> MergeResult:
    refuse_compressed(output)
    with OutputSet(inputs=shards) as outputs:
        count, lines, format = write_merged(outputs, shards, output)
    return MergeResult(count, lines, format, [Path(output)])


def refuse_compressed(output: str | Path) -> None:
    if Path(output).suffix in (".gz", ".bgz"):
        raise InputError(f"{output}: merge writes plain text (.tsv, .bedgraph or .vcf); compress and index the "
                         "merged VCF with bgzip and tabix if needed")


def write_merged(outputs: OutputSet, shards: list[str | Path], output: str | Path) -> tuple[int, int, str]:
    """The shards joined into `output` of an open OutputSet (a resumable run publishes all its merged outputs
    together); the number of shards, the data lines written and the format."""
    ordered = _in_shard_order([read_shard_file(path) for path in shards])
    first = ordered[0]
    unsharded = {k: v for k, v in first.parameters.items() if k not in SHARD_PARAMETERS}
    header = list(first.header)
    header[first.parameters_at] = first.prefix + parameters_line(unsharded) + "\n"
    handle = outputs.open_text(output)
    handle.writelines(header)
    lines = _copy_data(ordered, handle)
    return len(ordered), lines, first.format


def _copy_data(ordered: list[ShardFile], handle) -> int:
    """Every shard's data lines in order; for a paired variants table, the unsharded run's check over all pairs
    on the way (raising leaves no merged output). Returns the lines written."""
    written = 0

    def copied():
        nonlocal written
        for shard in ordered:
            for line in shard.data():
                handle.write(line)
                written += 1
                yield line

    columns = ordered[0].header[-1].rstrip("\n").split("\t")
    paired = ordered[0].format == "table" and "max_differences" in ordered[0].parameters
    if paired and {"pair", "id", "status"} <= set(columns):
        check_merged_pairs(dict(zip(columns, line.rstrip("\n").split("\t"))) for line in copied())
    else:
        for _ in copied():
            pass
    return written


def _shard_of(file: ShardFile) -> Shard:
    if "shard" not in file.parameters:
        raise InputError(f"{file.path}: not a shard (its provenance names no --shard K/N); merge joins the outputs "
                         "of --shard runs")
    return parse_shard(str(file.parameters["shard"]))


def _in_shard_order(files: list[ShardFile]) -> list[ShardFile]:
    """The files ordered 1..N, once each shard of one run is given exactly once; one line otherwise."""
    first, first_shard = files[0], _shard_of(files[0])
    by_index: dict[int, ShardFile] = {}
    for file in files:
        shard = _shard_of(file)
        difference = _difference(first, file)
        if difference:
            raise InputError(f"{file.path}: not a shard of the same run as {first.path}: {difference}")
        if shard.count != first_shard.count:
            raise InputError(f"{file.path} is shard {shard} but {first.path} is shard {first_shard}: shards of "
                             "different splits cannot be merged")
        if shard.index in by_index:
            raise InputError(f"shard {shard} is given twice ({by_index[shard.index].path} and {file.path})")
        by_index[shard.index] = file
    missing = [f"{k}/{first_shard.count}" for k in range(1, first_shard.count + 1) if k not in by_index]
    if missing:
        raise InputError(f"shard {', '.join(missing)} missing: merge needs all {first_shard.count} shards of the run")
    return [by_index[k] for k in sorted(by_index)]


def _difference(first: ShardFile, other: ShardFile) -> str | None:
    """What differs between two shards' runs (None: the same run): a header line or a parameter."""
    if other.format != first.format:
        return f"it is a {other.format} file and {first.path.name} a {first.format} file"
    mine, theirs = first.parameters, other.parameters
    if mine.get("shard_of") != theirs.get("shard_of"):
        return (f"a different input ({theirs.get('shard_of')} items to split, not {mine.get('shard_of')}; the same "
                "file name holds other data)")
    keys = sorted(k for k in set(mine) | set(theirs) if k not in SHARD_PARAMETERS and mine.get(k) != theirs.get(k))
    if keys:
        return "its parameters differ (" + ", ".join(f"{k}: {theirs.get(k)} vs {mine.get(k)}" for k in keys) + ")"
    if len(other.header) != len(first.header) or other.parameters_at != first.parameters_at:
        return "its header differs"
    for line, first_line in zip(other.header, first.header):
        if line != first_line and not line.startswith(other.prefix + PARAMETERS):
            return f"its {_label(line, other.prefix)} differs ({line.strip()} vs {first_line.strip()})"
    return None


def _label(line: str, prefix: str) -> str:
    """A header line's name for a message: model, weights_sha256, versions, method…, the operation, columns."""
    text = line[len(prefix):] if line.startswith(prefix) else line
    if text.startswith("dnalens "):
        return "operation or dnalens version"
    name, colon, _ = text.partition(":")
    if colon and name.replace("_", "").replace("/", "").replace(" ", "").isalnum() and len(name) < 30:
        return name.strip()
    return "column header" if not line.startswith("#") or line.startswith("#CHROM") else "header line"
