"""Start the desktop app: `dnalens-gui` (or `python -m dnalens_gui`); `--screenshot OUT.png` for docs."""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
from collections.abc import Callable

# What Qt's X11 platform plugin (xcb) loads, with the Debian/Ubuntu package of each. Without one, Qt aborts
# with a message in the terminal only (a fresh Debian 12 lacks the first three).
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libX11-xcb.so.1": "libx11-xcb1", "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1", "libfontconfig.so.1": "libfontconfig1", "libdbus-1.so.3": "libdbus-1-3",
}


def missing_system_libraries(environ=os.environ, platform: str = sys.platform,
                             load: Callable[[str], object] = ctypes.CDLL) -> list[str]:
    """The Debian/Ubuntu packages Qt's xcb plugin would fail on (empty elsewhere: Wayland, offscreen, not
    Linux)."""
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if not platform.startswith("linux") or chosen not in ("", "xcb") or (not chosen and environ.get("WAYLAND_DISPLAY")):
        return []
    missing = []
    for library, package in XCB_LIBRARIES.items():
        try:
            load(library)
        except OSError:
            missing.append(package)
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dnalens-gui", description="DNALens desktop app")
    parser.add_argument("--screenshot", help="render the main window in its default state to this PNG and exit")
    args = parser.parse_args(argv)
    missing = missing_system_libraries()
    if missing:
        print("dnalens-gui: error: the desktop window needs system libraries that are not installed: "
              f"{', '.join(missing)}. On Debian/Ubuntu: sudo apt-get install {' '.join(missing)} "
              "(the README's Desktop app section lists them all)", file=sys.stderr)
        return 1

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
