"""The compare operation: statistics of a score column between groups of rows (jobs/compare.py writes them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io.tables import parse_number, read_table
from ..stats import GroupSummary, TestResult, compare_groups, compare_paired, summarise

TEST_COLUMNS = ["test", "group_a", "group_b", "n_a", "n_b", "mean_a", "mean_b", "median_a", "median_b", "sd_a",
                "sd_b", "statistic", "p_value", "p_adjusted", "effect_size", "effect_size_name"]


@dataclass
class Comparison:
    groups: dict[str, np.ndarray]  # the values of each group, in input order
    summaries: list[GroupSummary]
    tests: list[TestResult]
    dropped: int  # rows without a number in the value column
    warnings: list[str]

    def rows(self) -> list[dict]:
        """One row per test, with the summaries of its two groups (TEST_COLUMNS)."""
        by_name = {s.group: s for s in self.summaries}
        rows = []
        for test in self.tests:
            a, b = by_name.get(test.group_a), by_name.get(test.group_b)
            rows.append({**test.as_dict(),
                         "mean_a": a.mean if a else None, "mean_b": b.mean if b else None,
                         "median_a": a.median if a else None, "median_b": b.median if b else None,
                         "sd_a": a.sd if a else None, "sd_b": b.sd if b else None})
        return rows

    def main_test(self) -> TestResult:
        """The rank test a plot subtitle quotes."""
        return next(t for t in self.tests if t.test in ("mann_whitney_u", "wilcoxon_signed_rank", "kruskal_wallis"))


def load_groups(tables: list[str | Path], value: str, group: str, paired_by: str | None = None,
                group_names: list[str] | None = None) -> tuple[dict[str, list[tuple[str, float]]], int]:
    """Rows of one or more tables → group → [(pair key, value)]. Rows without a numeric value are dropped.

    With several tables and no `group` column in them, each table is one group, named by `group_names`
    (or the file name): the exon and intron score tables of the tutorial, compared directly.
    """
    groups: dict[str, list[tuple[str, float]]] = {}
    dropped = 0
    names = [group_names[i] if group_names and i < len(group_names) else Path(t).stem for i, t in enumerate(tables)]
    named_by_file: set[str] = set()  # group names given to whole files: two files must not merge into one
    for index, table in enumerate(tables):
        columns, rows = read_table(table)
        for needed in [value] + ([paired_by] if paired_by else []):
            if needed not in columns:
                raise InputError(f"{table}: no column '{needed}' (columns: {', '.join(columns)})")
        use_column = group in columns
        if not use_column and len(tables) == 1:
            raise InputError(f"{table}: no column '{group}' (columns: {', '.join(columns)})")
        fallback = names[index]
        if not use_column:
            if fallback in named_by_file:
                raise InputError(f"two input tables would both be group '{fallback}' and merge; give distinct "
                                 "--group-names")
            named_by_file.add(fallback)
        for number, row in enumerate(rows):
            try:
                number_value = parse_number(row[value])
            except ValueError:
                dropped += 1
                continue
            name = row[group] if use_column else fallback
            key = row[paired_by] if paired_by else str(number)
            groups.setdefault(name, []).append((key, number_value))
    return groups, dropped


def compare(groups: dict[str, list[tuple[str, float]]], dropped: int, *, value: str,
            paired_by: str | None = None) -> Comparison:
    """Welch's t and Mann-Whitney U between independent groups (Kruskal-Wallis and adjusted pairs for more than
    two); Wilcoxon signed-rank between two groups paired by `paired_by` keys."""
    arrays = {name: np.array([v for _, v in rows]) for name, rows in groups.items()}
    warnings = []
    if paired_by:
        if len(groups) != 2:
            raise InputError(f"--paired-by needs exactly two groups, found {len(groups)}")
        (a_name, a_rows), (b_name, b_rows) = groups.items()
        b_by_key = dict(b_rows)
        matched = [(v, b_by_key[k]) for k, v in a_rows if k in b_by_key]
        if len(matched) < len(a_rows) or len(matched) < len(b_rows):
            warnings.append(f"paired test uses the {len(matched)} pairs whose '{paired_by}' appears in both groups")
        tests = compare_paired(a_name, np.array([m[0] for m in matched]), b_name, np.array([m[1] for m in matched]))
    else:
        tests = compare_groups(arrays)
    summaries = [summarise(name, values) for name, values in arrays.items()]
    if dropped:
        warnings.append(f"{dropped} row(s) without a numeric '{value}' were left out (for example skipped variants)")
    return Comparison(arrays, summaries, tests, dropped, warnings)


METHOD = ("tests: independent groups use Welch's t (Cohen's d) and Mann-Whitney U (rank-biserial); "
          "Wilcoxon signed-rank only for paired samples (--paired-by); >2 groups add Kruskal-Wallis and "
          "Benjamini-Hochberg adjusted pairwise tests")
