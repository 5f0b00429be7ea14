"""Start the desktop app: `dnalens-gui` (or `python -m dnalens_gui`); `--screenshot OUT.png` for docs."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dnalens-gui", description="DNALens desktop app")
    parser.add_argument("--screenshot", help="render the main window in its default state to this PNG and exit")
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("QtAgg")
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setOrganizationName("DNALens")
    QCoreApplication.setApplicationName("DNALens")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    if args.screenshot:
        app.processEvents()
        window.grab().save(args.screenshot)
        return 0
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
