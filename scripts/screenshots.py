"""Render the README's screenshots of the desktop app from real runs on test-data (offscreen, no display).

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [--model default] [--out docs/img]

Writes gui_compare.png (Variant effect on the exon and the intron SNVs, then Compare groups on the two score
tables) and gui_learn.png (Learn, trained on the prom-core subset). Run from the repository root.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setOrganizationName("DNALens-screenshots")  # leaves the user's own settings alone
    app = QApplication([])
    from dnalens_gui.main_window import MainWindow

    window = MainWindow()
    window.resize(1400, 850)
    window.model_panel.set_spec(args.model)
    window.results.setText(tempfile.mkdtemp(prefix="dnalens-screenshots-"))
    window.show()

    def run_page(name: str) -> None:
        index = next(i for i, page in enumerate(window.pages) if type(page).__name__ == name)
        before = window.completed_runs
        window.tabs.setCurrentIndex(index)
        window.run_button.click()
        # A timer-driven event loop: tight processEvents() loops crash PySide6 6.12 on Python 3.11.
        while window.completed_runs == before and window.last_error is None:
            loop = QEventLoop()
            QTimer.singleShot(50, loop.quit)
            loop.exec()
        app.processEvents()
        if window.last_error is not None:
            raise SystemExit(f"screenshots: the {name} run failed: {window.last_error}")

    pages = {type(page).__name__: page for page in window.pages}
    args.out.mkdir(parents=True, exist_ok=True)
    variants, compare = pages["VariantsPage"], pages["ComparePage"]
    for group, field in (("exon", compare.first), ("intron", compare.second)):
        variants.ref_fasta.setText(f"test-data/{group}_ref.fa")
        variants.alt_fasta.setText(f"test-data/{group}_alt.fa")
        run_page("VariantsPage")  # scored with --model, so the plot shows that model's numbers
        field.setText(str(variants.outputs[0]))
    run_page("ComparePage")
    window.grab().save(str(args.out / "gui_compare.png"))
    pages["LearnPage"].labelled.setText("test-data/prom_core_subset.tsv")
    run_page("LearnPage")
    window.grab().save(str(args.out / "gui_learn.png"))
    print(f"wrote {args.out / 'gui_compare.png'} and {args.out / 'gui_learn.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
