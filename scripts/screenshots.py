"""Render the desktop app's screenshots from real runs on test-data (offscreen, no display).

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [--model default] [--out docs/img] [--size 1280x800]

Runs every page once, then saves the window after each: gui_embed.png (12 sequences, PCA coloured by label),
gui_predict.png (positions 1-300 of a 6 kb chr20 excerpt, as a track), gui_variants.png (25 exon SNVs, with
two unrelated pairs so the warning banner and the status filter show), gui_compare.png (exon vs intron llr),
gui_learn.png (classifier trained on the prom-core subset) and gui_mutagenesis.png (every substitution of
chr20 excerpt positions 1001-1200). Run from the repository root; --shots mutagenesis retakes only that one.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--suffix", default="", help="added to each file name (e.g. _1024 for a second size)")
    parser.add_argument("--shots", nargs="+", choices=list(SETUPS), default=list(SETUPS),
                        help="which screenshots to take (default: all)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    import matplotlib

    matplotlib.use("QtAgg")
    from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setOrganizationName("DNALens-screenshots")  # leaves the user's own settings alone
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp(prefix="dnalens-settings-"))
    _app = QApplication([])  # kept alive until the end of main
    from dnalens_gui.main_window import MainWindow

    window = MainWindow()
    window.resize(width, height)
    window.model_panel.set_spec(args.model)
    window.results.setText(tempfile.mkdtemp(prefix="dnalens-screenshots-"))
    window.show()

    def settle(ms: int = 300) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def run_page(name: str) -> None:
        index = next(i for i, page in enumerate(window.pages) if type(page).__name__ == name)
        before = window.completed_runs
        window.tabs.setCurrentIndex(index)
        window.last_error = None
        window.run_button.click()
        # A timer-driven event loop: tight processEvents() loops crash PySide6 6.12 on Python 3.11.
        while window.completed_runs == before and window.last_error is None:
            settle(50)
        settle()
        if window.last_error is not None:
            raise SystemExit(f"screenshots: the {name} run failed: {window.last_error}")

    def save(name: str) -> None:
        path = args.out / f"gui_{name}{args.suffix}.png"
        window.grab().save(str(path))
        print(f"wrote {path}")

    pages = {type(page).__name__: page for page in window.pages}
    args.out.mkdir(parents=True, exist_ok=True)
    for shot in args.shots:
        SETUPS[shot](pages, run_page)
        save(shot)
    return 0


def embed(pages: dict, run_page: Callable[[str], None]) -> None:
    pages["EmbedPage"].sequences.file.setText("test-data/sequences.fa")
    pages["EmbedPage"].labels.setText("test-data/sequence_labels.tsv")
    run_page("EmbedPage")


def predict(pages: dict, run_page: Callable[[str], None]) -> None:
    pages["PredictPage"].sequences.file.setText("test-data/chr20_excerpt.fa")
    pages["PredictPage"].positions.setText("1-300")
    run_page("PredictPage")


def compare(pages: dict, run_page: Callable[[str], None]) -> None:
    variants, page = pages["VariantsPage"], pages["ComparePage"]
    for group, field in (("exon", page.first), ("intron", page.second)):
        variants.ref_fasta.setText(f"test-data/{group}_ref.fa")
        variants.alt_fasta.setText(f"test-data/{group}_alt.fa")
        run_page("VariantsPage")  # scored with --model, so the plot shows that model's numbers
        field.setText(str(variants.outputs[0]))
    run_page("ComparePage")


def variants(pages: dict, run_page: Callable[[str], None]) -> None:
    pages["VariantsPage"].ref_fasta.setText("test-data/exon_ref.fa")
    pages["VariantsPage"].alt_fasta.setText("test-data/exon_alt_two_unrelated.fa")
    run_page("VariantsPage")


def learn(pages: dict, run_page: Callable[[str], None]) -> None:
    pages["LearnPage"].labelled.setText("test-data/prom_core_subset.tsv")
    run_page("LearnPage")


def mutagenesis(pages: dict, run_page: Callable[[str], None]) -> None:
    page = pages["MutagenesisPage"]
    page.mode.setCurrentIndex(0)
    page.reference.setText("test-data/chr20_excerpt.fa")
    page.region.setText("20:1001-1200")
    run_page("MutagenesisPage")


# Each shot's inputs and run; the window is saved after it (compare runs Variant effect twice first).
SETUPS = {"embed": embed, "predict": predict, "compare": compare, "variants": variants, "learn": learn,
          "mutagenesis": mutagenesis}


if __name__ == "__main__":
    sys.exit(main())
