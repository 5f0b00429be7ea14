"""Tabular metadata for Galaxy, written to the job's galaxy.json: column names, types and the line counts.

Galaxy's own guess treats only a table's first line as a possible header, and DNALens tables start with '#'
provenance lines: the header row then counts as data and types every column as text, so no column can be
filtered or plotted as a number. Galaxy applies what a tool writes into galaxy.json after its own guess.

    python -m dnalens.galaxy_metadata OUTPUT_NAME PATH [OUTPUT_NAME PATH ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Galaxy's column types, narrowest first (galaxy.datatypes.tabular.Tabular.set_meta).
ORDER = ["int", "float", "list", "str"]
GALAXY_JSON = "galaxy.json"


def cell_type(text: str) -> str | None:
    """Galaxy's type of one cell; None for an empty cell, which fits any type."""
    if not text:
        return None
    if "_" not in text:  # Galaxy, unlike Python, reads 1_000 as text
        for kind, parse in (("int", int), ("float", float)):
            try:
                parse(text)
                return kind
            except ValueError:
                pass
        if text.strip().lower() == "na":
            return "float"
    return "list" if "," in text else "str"


def describe_table(path: str | Path) -> dict:
    """Metadata of a table of '#' lines, one header row and data rows, from all its rows."""
    comment_lines = data_lines = 0
    names: list[str] | None = None
    types: list[str | None] = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            line = line.rstrip("\r\n")
            if names is None:
                comment_lines += 1  # '#' lines, blank lines and the header row are not data
                if line and not line.startswith("#"):
                    names = line.split("\t")
                    types = [None] * len(names)
                continue
            if not line:
                comment_lines += 1
                continue
            data_lines += 1
            for column, text in enumerate(line.split("\t")):
                if column >= len(types):
                    types.append(None)
                kind = cell_type(text)
                if kind is not None and (types[column] is None or ORDER.index(kind) > ORDER.index(types[column])):
                    types[column] = kind
    if names is None:
        return {"comment_lines": comment_lines, "data_lines": 0}
    return {"column_names": names, "column_types": [kind or "str" for kind in types], "columns": len(types),
            "comment_lines": comment_lines, "data_lines": data_lines}


def write_galaxy_json(outputs: dict[str, str | Path], target: str | Path = GALAXY_JSON) -> None:
    """Adds each named output's metadata to galaxy.json (kept: what other steps wrote there)."""
    target = Path(target)
    provided = json.loads(target.read_text()) if target.exists() else {}
    for name, path in outputs.items():
        provided.setdefault(name, {}).setdefault("metadata", {}).update(describe_table(path))
    target.write_text(json.dumps(provided, indent=1))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or len(argv) % 2:
        print("usage: python -m dnalens.galaxy_metadata OUTPUT_NAME PATH [OUTPUT_NAME PATH ...]", file=sys.stderr)
        return 2
    write_galaxy_json(dict(zip(argv[::2], argv[1::2])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
