"""Group comparisons with the right test for the design.

Independent groups (exon vs intron SNPs): Welch's t and Mann–Whitney U. Paired samples only: Wilcoxon
signed-rank. More than two groups: Kruskal–Wallis, then pairwise tests with Benjamini–Hochberg.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np
from scipy import stats

from .errors import DNALensError


@dataclass(frozen=True)
class GroupSummary:
    group: str
    n: int
    mean: float
    median: float
    sd: float


@dataclass(frozen=True)
class TestResult:
    test: str
    group_a: str
    group_b: str
    n_a: int
    n_b: int
    statistic: float
    p_value: float
    p_adjusted: float | None
    effect_size: float | None
    effect_size_name: str

    def as_dict(self) -> dict:
        return asdict(self)


def summarise(name: str, values: np.ndarray) -> GroupSummary:
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
    return GroupSummary(name, len(values), float(np.mean(values)), float(np.median(values)), sd)


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """Mean difference over the root mean of the two variances (no equal-variance assumption, like Welch)."""
    spread = np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
    return float((np.mean(a) - np.mean(b)) / spread) if spread > 0 else float("nan")


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out.tolist()


def welch_t(a_name, a, b_name, b) -> TestResult:
    result = stats.ttest_ind(a, b, equal_var=False)
    return TestResult("welch_t", a_name, b_name, len(a), len(b), float(result.statistic), float(result.pvalue),
                      None, cohens_d(a, b), "cohens_d")


def mann_whitney(a_name, a, b_name, b) -> TestResult:
    result = stats.mannwhitneyu(a, b, alternative="two-sided")
    # Rank-biserial correlation: P(a > b) − P(a < b), from U of the first group.
    rank_biserial = 2 * float(result.statistic) / (len(a) * len(b)) - 1
    return TestResult("mann_whitney_u", a_name, b_name, len(a), len(b), float(result.statistic),
                      float(result.pvalue), None, rank_biserial, "rank_biserial")


def wilcoxon_paired(a_name, a, b_name, b) -> TestResult:
    differences = a - b
    result = stats.wilcoxon(a, b)
    nonzero = differences[differences != 0]
    ranks = stats.rankdata(np.abs(nonzero))
    total = ranks.sum()
    # Matched-pairs rank-biserial: (sum of positive ranks − sum of negative ranks) / total rank sum.
    effect = float((ranks[nonzero > 0].sum() - ranks[nonzero < 0].sum()) / total) if total else float("nan")
    return TestResult("wilcoxon_signed_rank", a_name, b_name, len(a), len(b), float(result.statistic),
                      float(result.pvalue), None, effect, "matched_rank_biserial")


def compare_groups(groups: dict[str, np.ndarray]) -> list[TestResult]:
    """Independent groups: two → Welch + Mann–Whitney; more → Kruskal–Wallis + BH-adjusted pairwise tests."""
    names = [name for name in groups if len(groups[name])]
    too_small = [name for name in names if len(groups[name]) < 2]
    if len(names) < 2:
        raise DNALensError(f"need at least two groups with values to compare, found {len(names)}")
    if too_small:
        raise DNALensError(f"group(s) {', '.join(too_small)} have fewer than 2 values")
    results: list[TestResult] = []
    if len(names) > 2:
        kw = stats.kruskal(*(groups[n] for n in names))
        total = sum(len(groups[n]) for n in names)
        # Epsilon-squared effect size for Kruskal–Wallis.
        epsilon_squared = float(kw.statistic) / ((total**2 - 1) / (total + 1))
        results.append(TestResult("kruskal_wallis", "all", "", total, 0, float(kw.statistic), float(kw.pvalue),
                                  None, epsilon_squared, "epsilon_squared"))
    pairwise = {"welch_t": [], "mann_whitney_u": []}
    for a, b in combinations(names, 2):
        pairwise["welch_t"].append(welch_t(a, groups[a], b, groups[b]))
        pairwise["mann_whitney_u"].append(mann_whitney(a, groups[a], b, groups[b]))
    for tests in pairwise.values():
        adjusted = benjamini_hochberg([t.p_value for t in tests]) if len(tests) > 1 else [None] * len(tests)
        results.extend(TestResult(**{**t.as_dict(), "p_adjusted": p}) for t, p in zip(tests, adjusted))
    return results


def compare_paired(a_name: str, a: np.ndarray, b_name: str, b: np.ndarray) -> list[TestResult]:
    if len(a) < 2:
        raise DNALensError("need at least 2 matched pairs for the Wilcoxon signed-rank test")
    if not np.any(a - b):
        raise DNALensError("all paired differences are zero; the Wilcoxon signed-rank test is undefined")
    return [wilcoxon_paired(a_name, a, b_name, b)]
