"""`--resume`: a run made of shards, so that a killed run continues where it stopped.

A resumable run of OUT is `--shard 1/M … M/M` run one after the other in this process, each shard job writing
its part into a work folder beside OUT, `.OUT.dnalens-resume/` (`part-0007-of-0012.tsv`, and `.vcf` /
`.bedgraph` parts for `--vcf-out` / `--bedgraph`), published by the shard job's own OutputSet: a part exists
only once it is complete. `manifest.json` is written first: the command, the options that change results,
the package versions, the model's weights hash, and each input file's size and SHA-256. When every part
exists, `dnalens merge`'s join writes the final outputs in one OutputSet (the unsharded run's bytes), and the
work folder is removed.

`--resume` both starts such a run and continues one: a later run with the same OUT reads the manifest, refuses
with one line if anything differs, skips the parts that exist and runs the others. M is fixed when the run
starts (min(chunks of the input, MAX_SEGMENTS)) and read back from the manifest, so it never changes within a
run; shards are cut on the operation's chunk grid, so M does not change the numbers.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..io.json_document import write_json
from ..io.outputs import OutputSet, check_output_target
from ..provenance import file_sha256, package_versions
from ..shards import Shard, refuse_merged_parts
from .merge import write_merged

# Enough segments that a kill loses at most ~1/64 of the work; few enough that re-reading the input before each
# part (every shard reads the input up to its part) stays small next to the model's work.
MAX_SEGMENTS = 64
MANIFEST = "manifest.json"
FORMAT = 1  # the manifest's layout
# Output options a resumable run can write as parts, with the parts' suffix (merge joins these formats).
PART_SUFFIXES = {"output": ".tsv", "vcf_out": ".vcf", "bedgraph": ".bedgraph"}

# One shard job: the shard and the part path for each output option (keys of PART_SUFFIXES that are given).
RunShard = Callable[[Shard, dict[str, Path]], object]


@dataclass
class ResumeResult:
    segments: int
    resumed: int  # parts that an earlier, interrupted run had finished
    lines: int  # data lines of the main output
    outputs: list[Path]


def work_folder(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(f".{output.name}.dnalens-resume")


def refuse_unresumable(shard: Shard | None, vcf_out: str | Path | None = None, **whole_outputs) -> None:
    """Before any work: what a run made of merged parts cannot do, one line each."""
    if shard is not None:
        raise InputError("--resume with --shard: a resumable run runs every shard itself; leave out --shard, or "
                         "run the shards without --resume and join them with 'dnalens merge'")
    refuse_merged_parts("in one run, and a resumable run is made of parts; leave it out with --resume, or run "
                        "without --resume", "a resumable run", vcf_out, **whole_outputs)


def file_identity(path: str | Path) -> dict:
    """Size and SHA-256 of an input file."""
    return {"size": Path(path).stat().st_size, "sha256": file_sha256(path)}


def run_resumable(command: str, outputs: dict[str, str | Path], parameters: dict, inputs: dict[str, str | Path],
                  weights_sha256: str, run_shard: RunShard, chunks: Callable[[], int]) -> ResumeResult:
    """outputs: output option → final path ("output" first, the main one); parameters: the options that change
    results; inputs: input option → file; chunks: the number of chunks of the input (called when a run
    starts, not when it continues)."""
    for final in outputs.values():  # refused now, not after the work
        check_output_target(final)
    work = work_folder(outputs["output"])
    manifest = {"format": FORMAT, "command": command, "outputs": sorted(outputs), "parameters": parameters,
                "versions": package_versions(), "weights_sha256": weights_sha256}
    found = _read_manifest(work)
    if found is None:
        _start(work, manifest, inputs, chunks)
    else:
        _refuse_difference(found, manifest, inputs, outputs["output"], work)
        manifest = found
    count = manifest["segments"]
    parts = part_paths(work, count, outputs)
    done = [k for k, paths in parts.items() if all(p.is_file() for p in paths.values())]
    try:
        for k, paths in parts.items():
            if k not in done:
                run_shard(Shard(k, count), paths)
    except BaseException:
        if not any(p.is_file() for paths in parts.values() for p in paths.values()):
            shutil.rmtree(work, ignore_errors=True)  # nothing done: nothing to resume
        raise
    lines = publish_merged(parts, outputs, inputs)
    shutil.rmtree(work, ignore_errors=True)
    return ResumeResult(count, len(done), lines, [Path(p) for p in outputs.values()])


def part_paths(work: Path, count: int, outputs: dict[str, str | Path]) -> dict[int, dict[str, Path]]:
    """Shard k of count → its part path for each output option (part-0007-of-0012.tsv, .vcf, .bedgraph)."""
    return {k: {name: work / f"part-{k:04d}-of-{count:04d}{PART_SUFFIXES[name]}" for name in outputs}
            for k in range(1, count + 1)}


def publish_merged(parts: dict[int, dict[str, Path]], outputs: dict[str, str | Path],
                   inputs: dict[str, str | Path]) -> int:
    """Every output joined from its parts in shard order, all published together in one OutputSet; the data
    lines of the main output."""
    lines = 0
    with OutputSet(inputs=list(inputs.values())) as files:
        for name, final in outputs.items():
            _, written, _ = write_merged(files, [paths[name] for _, paths in sorted(parts.items())], final)
            lines = written if name == "output" else lines
    return lines


def _start(work: Path, manifest: dict, inputs: dict[str, str | Path], chunks: Callable[[], int]) -> None:
    """The work folder and its manifest, written before any part (atomically: a manifest is whole or absent)."""
    manifest["segments"] = min(max(chunks(), 1), MAX_SEGMENTS)
    manifest["inputs"] = {name: {"path": str(path), **file_identity(path)} for name, path in inputs.items()}
    work.mkdir(exist_ok=True)
    with OutputSet(inputs=list(inputs.values())) as files:
        write_json(files.path(work / MANIFEST), manifest)


def _read_manifest(work: Path) -> dict | None:
    """The manifest of an interrupted run (None: no run to continue; a folder without one was killed before
    any part, and starts again)."""
    path = work / MANIFEST
    if not work.exists():
        return None
    if not work.is_dir() or work.is_symlink():
        raise InputError(f"{work}: exists and is not a folder; DNALens keeps a resumable run's parts there, so "
                         "move it away")
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "segments" not in manifest:
        raise InputError(f"{path}: not a manifest this DNALens version can continue; delete {work} to start again")
    return manifest


def _refuse_difference(found: dict, current: dict, inputs: dict[str, str | Path], output, work: Path) -> None:
    difference = _difference(found, current, inputs)
    if difference:
        raise InputError(f"{output}: cannot resume the interrupted run in {work}: {difference}; rerun it with the "
                         f"same options, inputs and model, or delete {work} to start again")


def _difference(found: dict, current: dict, inputs: dict[str, str | Path]) -> str | None:
    """What differs between the interrupted run and this one (None: the same run)."""
    if found.get("command") != current["command"]:
        return f"it was a '{found.get('command')}' run, this is '{current['command']}'"
    if found.get("outputs") != current["outputs"]:
        return f"its outputs were {_options(found.get('outputs'))}, these are {_options(current['outputs'])}"
    then, now = found.get("parameters", {}), current["parameters"]
    changed = sorted(k for k in set(then) | set(now) if then.get(k) != now.get(k))
    if changed:
        return "parameter " + ", ".join(f"{_option(k)} changed ({_shown(then.get(k))} then, {_shown(now.get(k))} "
                                        "now)" for k in changed)
    if found.get("versions") != current["versions"]:
        return f"package versions changed ({found.get('versions')} then, {current['versions']} now)"
    if found.get("weights_sha256") != current["weights_sha256"]:
        return "the model weights changed (another weights_sha256)"
    return _input_difference(found.get("inputs", {}), inputs)


def _input_difference(then: dict, inputs: dict[str, str | Path]) -> str | None:
    if sorted(then) != sorted(inputs):
        return f"its inputs were {_options(sorted(then))}, these are {_options(sorted(inputs))}"
    for name, path in inputs.items():
        recorded = then[name]
        if Path(path).stat().st_size != recorded.get("size") or file_identity(path) != \
                {"size": recorded.get("size"), "sha256": recorded.get("sha256")}:
            return f"input file {path} ({_option(name)}) changed since the interrupted run (another size or SHA-256)"
    return None


def _shown(value) -> str:
    return "not given" if value is None else str(value)


def _option(name: str) -> str:
    return "input" if name == "input" else f"--{name.replace('_', '-')}"


def _options(names) -> str:
    return ", ".join(_option(name) for name in names or []) or "none"
