"""Statistics equal scipy's on fixed data, and the right test is used for the design."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from dnalens.errors import DNALensError
from dnalens.io.tables import read_table
from dnalens.jobs.compare import compare_tables
from dnalens.stats import benjamini_hochberg, compare_groups, compare_paired

A = np.array([2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 4.9])
B = np.array([1.2, 0.8, 2.2, 1.9, 0.4, 1.1, 2.5])
C = np.array([3.0, 3.1, 2.9, 3.3, 3.2])


def by_test(results):
    return {(r.test, r.group_a, r.group_b): r for r in results}


def test_two_independent_groups_use_welch_and_mann_whitney():
    results = by_test(compare_groups({"exon": A, "intron": B}))
    assert set(t for t, _, _ in results) == {"welch_t", "mann_whitney_u"}  # no paired test on independent groups
    welch = results[("welch_t", "exon", "intron")]
    expected = scipy_stats.ttest_ind(A, B, equal_var=False)
    assert welch.statistic == pytest.approx(expected.statistic) and welch.p_value == pytest.approx(expected.pvalue)
    spread = np.sqrt((A.var(ddof=1) + B.var(ddof=1)) / 2)
    assert welch.effect_size == pytest.approx((A.mean() - B.mean()) / spread)
    mwu = results[("mann_whitney_u", "exon", "intron")]
    expected = scipy_stats.mannwhitneyu(A, B, alternative="two-sided")
    assert mwu.statistic == pytest.approx(expected.statistic) and mwu.p_value == pytest.approx(expected.pvalue)
    greater = sum((a > b) + 0.5 * (a == b) for a in A for b in B) / (len(A) * len(B))
    assert mwu.effect_size == pytest.approx(2 * greater - 1)


def test_more_groups_add_kruskal_wallis_and_bh_adjusted_pairs():
    results = by_test(compare_groups({"a": A, "b": B, "c": C}))
    kw = results[("kruskal_wallis", "all", "")]
    assert kw.p_value == pytest.approx(scipy_stats.kruskal(A, B, C).pvalue)
    pairs = [r for r in results.values() if r.test == "mann_whitney_u"]
    assert len(pairs) == 3
    adjusted = benjamini_hochberg([r.p_value for r in pairs])
    assert [r.p_adjusted for r in pairs] == pytest.approx(adjusted)


def test_benjamini_hochberg_known_values():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.20), "BH") = 0.04 0.0533 0.0533 0.20
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.20]) == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.20])


def test_paired_test_is_wilcoxon_signed_rank():
    a, b = A[:7], B
    (result,) = compare_paired("wt", a, "mut", b)
    expected = scipy_stats.wilcoxon(a, b)
    assert result.test == "wilcoxon_signed_rank"
    assert result.statistic == pytest.approx(expected.statistic) and result.p_value == pytest.approx(expected.pvalue)


def test_compare_needs_two_groups_with_values():
    with pytest.raises(DNALensError, match="at least two groups"):
        compare_groups({"only": A})


def test_compare_tables_from_two_files_and_from_a_group_column(tmp_path):
    exon, intron = tmp_path / "exon.tsv", tmp_path / "intron.tsv"
    exon.write_text("# provenance\nid\tllr\tstatus\n" + "".join(f"e{i}\t{v}\tok\n" for i, v in enumerate(A))
                    + "skipped\t\tref_mismatch\n")
    intron.write_text("id\tllr\tstatus\n" + "".join(f"i{i}\t{v}\tok\n" for i, v in enumerate(B)))
    out = tmp_path / "summary.tsv"
    result = compare_tables([exon, intron], out, value="llr", group_names=["exon", "intron"], plot=tmp_path / "p.png")
    assert result.dropped == 1  # the skipped variant's empty score
    _, rows = read_table(out)
    assert rows[0]["group_a"] == "exon" and int(rows[0]["n_a"]) == len(A)
    assert float(rows[0]["mean_a"]) == pytest.approx(A.mean(), rel=1e-6)
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    combined = tmp_path / "combined.tsv"
    combined.write_text("group\tllr\n" + "".join(f"exon\t{v}\n" for v in A) + "".join(f"intron\t{v}\n" for v in B))
    again = compare_tables([combined], tmp_path / "s2.tsv", value="llr", group="group")
    assert [t.p_value for t in again.tests] == pytest.approx([t.p_value for t in result.tests])
