"""Print the README's model-family compatibility table, computed from real runs (tests/family_table.py), or
write it into README.md with --write. Needs ../shared/model_zoo and the families' optional packages."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import family_table  # noqa: E402


def main() -> int:
    missing = family_table.missing_packages()
    if missing:
        print(f"install {', '.join(missing)} first (the table would not show what these families do)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as work:
        table = family_table.compute(Path(work))
    if "--write" in sys.argv[1:]:
        family_table.write(ROOT / "README.md", table)
        print("README.md updated", file=sys.stderr)
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
