"""Issue 21, item 17: `predict --plot` draws every position it can, and says what it leaves out.

Up to 24 positions: a bar chart each. More: one track per sequence with the four probabilities and P(reference
base) along the positions; long tracks are binned and keep the lowest P(reference) of each bin.
"""

import numpy as np
import pytest

from conftest import TEST_DATA
from dnalens.plots import NucleotideTracks

BASES = "ACGT"


def rows_for(name: str, count: int, rng: np.random.Generator, start: int = 1) -> list[dict]:
    probabilities = rng.dirichlet(np.full(4, 20.0), size=count)  # near 0.25 each, never below 0.01
    refs = rng.choice(list(BASES), size=count)
    return [{"id": name, "position": start + i, "ref": str(refs[i]), **dict(zip(BASES, map(float, probabilities[i]))),
             "method": "masked-token"} for i in range(count)]


def reference_line(axes):
    (line,) = [line for line in axes.get_lines() if line.get_label() == "P(reference base)"]
    return line


def test_up_to_24_positions_get_a_bar_chart_each():
    tracks = NucleotideTracks()
    for row in rows_for("s1", 20, np.random.default_rng(0)):
        tracks.add(row)
    assert len(tracks.figure().axes) == 20
    assert tracks.sequences_left_out == 0


def test_a_thousand_positions_are_all_drawn_with_the_reference_probability():
    rows = rows_for("s1", 1000, np.random.default_rng(1))
    tracks = NucleotideTracks()
    for row in rows:
        tracks.add(row)
    figure = tracks.figure()
    (axes,) = figure.axes
    line = reference_line(axes)
    assert list(line.get_xdata()) == list(range(1, 1001))
    assert np.allclose(line.get_ydata(), [row[row["ref"]] for row in rows], atol=1e-6)
    for base in BASES:
        (drawn,) = [line for line in axes.get_lines() if line.get_label() == f"P({base})"]
        assert np.allclose(drawn.get_ydata(), [row[base] for row in rows], atol=1e-6)
    assert "1,000 positions" in figure.get_suptitle()


def test_long_tracks_are_binned_and_keep_the_most_surprising_position():
    rows = rows_for("s1", 50_000, np.random.default_rng(2))
    rows[33_333].update(A=0.99, C=0.004, G=0.003, T=0.003, ref="T")  # one position the model finds surprising
    tracks = NucleotideTracks(max_points=2000)
    for row in rows:
        tracks.add(row)
    figure = tracks.figure()
    line = reference_line(figure.axes[0])
    assert len(line.get_xdata()) == 2000
    assert np.min(line.get_ydata()) == pytest.approx(0.003, abs=1e-6)
    lowest_bin = int(np.argmin(line.get_ydata()))
    assert lowest_bin == 33_333 * 2000 // 50_000
    assert "2,000 bins" in figure.get_suptitle()
    (a_line,) = [line for line in figure.axes[0].get_lines() if line.get_label() == "P(A)"]
    assert np.mean(a_line.get_ydata()) == pytest.approx(np.mean([row["A"] for row in rows]), abs=1e-3)


def test_sequences_beyond_the_eighth_are_counted_in_the_title():
    tracks = NucleotideTracks()
    rng = np.random.default_rng(3)
    for number in range(12):
        for row in rows_for(f"seq{number}", 10, rng):
            tracks.add(row)
    figure = tracks.figure()
    assert len(figure.axes) == 8 and tracks.sequences_left_out == 4
    assert "the first 8 of 12 sequences drawn" in figure.get_suptitle()


def test_cli_plot_of_every_position_draws_tracks_and_warns_about_sequences_left_out(run_cli, tmp_path):
    fasta = tmp_path / "ten.fa"
    sequences = [record for record in (TEST_DATA / "sequences.fa").read_text().split(">") if record][:1]
    _, sequence = sequences[0].split("\n", 1)
    sequence = sequence.replace("\n", "")[:30]
    fasta.write_text("".join(f">s{i}\n{sequence}\n" for i in range(10)))
    result = run_cli("predict", fasta, "--all-positions", "-o", tmp_path / "p.tsv", "--plot", tmp_path / "p.png",
                     "--model", TEST_DATA / "tiny-model")
    assert result.code == 0, result.err
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    assert "the plot draws the first 8 of 10 sequences" in result.err
