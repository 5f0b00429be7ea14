"""compare → files: the tests TSV (with group summaries) and optionally a box/violin plot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..context import RunContext
from ..io.outputs import OutputSet
from ..io.tsv import TsvWriter
from ..ops.compare import METHOD, TEST_COLUMNS, compare, load_groups
from ..provenance import provenance, provenance_lines
from ..stats import GroupSummary, TestResult


@dataclass
class CompareResult:
    summaries: list[GroupSummary]
    tests: list[TestResult]
    dropped: int
    outputs: list[Path]
    figures: dict = field(default_factory=dict)


def compare_tables(tables: list[str | Path], out_tsv: str | Path, *, value: str, group: str = "group",
                   paired_by: str | None = None, group_names: list[str] | None = None,
                   plot: str | Path | None = None, context: RunContext | None = None) -> CompareResult:
    context = context or RunContext()
    groups, dropped = load_groups(tables, value, group, paired_by, group_names)
    comparison = compare(groups, dropped, value=value, paired_by=paired_by)
    for message in comparison.warnings:
        context.warn(message)
    parameters = {"value": value, "group": group, "paired_by": paired_by,
                  "inputs": ",".join(Path(t).name for t in tables)}
    record = provenance(None, "compare", parameters)
    header = provenance_lines(record) + [
        "groups: " + "; ".join(f"{s.group} n={s.n} mean={s.mean:.6g} median={s.median:.6g} sd={s.sd:.6g}"
                               for s in comparison.summaries),
        METHOD,
    ]
    figures: dict = {}
    with OutputSet(inputs=tables) as outputs:
        TsvWriter.open(outputs, out_tsv, header, TEST_COLUMNS).write_all(comparison.rows())
        if plot:
            from ..plots import group_comparison, save_figure

            main = comparison.main_test()
            subtitle = f"{main.test.replace('_', ' ')}: p = {main.p_value:.3g}"
            figures["groups"] = group_comparison(comparison.groups, value, subtitle)
            save_figure(figures["groups"], outputs.path(plot), record)
    return CompareResult(comparison.summaries, comparison.tests, dropped, [Path(p) for p in (out_tsv, plot) if p],
                         figures)
