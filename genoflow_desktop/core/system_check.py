"""Find the system libraries Qt needs but the machine lacks, and name the package to install.

PySide6 wheels bring Qt itself but rely on the system for OpenGL, fonts, keyboard maps and the
X11/Wayland client libraries. When one is missing Qt fails with an obscure loader error ("could
not load the Qt platform plugin xcb"). ``make run`` runs ``python -m
genoflow_desktop.core.system_check`` first, and the app calls :func:`explain_import_error`, so the
user reads which package to install instead.

Qt-free on purpose: it must work exactly when importing Qt does not.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

# Shared library -> (Debian/Ubuntu package, Fedora package)
LIBRARY_PACKAGES: dict[str, tuple[str, str]] = {
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
}

# What each platform plugin needs; only the one that will be used is checked.
PLATFORM_PLUGINS = {
    "xcb": "libqxcb.so",
    "wayland": "libqwayland.so",
    "offscreen": "libqoffscreen.so",
}


def _qt_dir() -> Path | None:
    try:
        spec = importlib.util.find_spec("PySide6")
    except ImportError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "Qt"


def _missing_libraries(binary: Path) -> set[str]:
    if not shutil.which("ldd") or not binary.exists():
        return set()
    result = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False)
    return {
        line.split("=>")[0].strip() for line in result.stdout.splitlines() if "not found" in line
    }


def has_display(env: dict[str, str] | None = None) -> bool:
    """Whether a graphical session is reachable (always assumed outside Linux)."""
    env = dict(os.environ) if env is None else env
    if not sys.platform.startswith("linux"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"))


def expected_platform(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ) if env is None else env
    if env.get("QT_QPA_PLATFORM"):
        return env["QT_QPA_PLATFORM"].split(":")[0]
    if env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY"):
        return "wayland"
    return "xcb" if env.get("DISPLAY") else "offscreen"


def _loadable(library: str) -> bool:
    """Whether the dynamic loader finds ``library`` (for ones Qt opens at run time, not linked)."""
    import ctypes

    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def missing_qt_libraries(platform: str | None = None) -> set[str]:
    """Shared libraries Qt's core modules and the chosen platform plugin cannot find (Linux only)."""
    qt_dir = _qt_dir()
    if not sys.platform.startswith("linux") or qt_dir is None:
        return set()
    binaries = [
        qt_dir / "lib" / f"libQt6{name}.so.6" for name in ("Core", "Gui", "Widgets", "Network")
    ]
    plugin = PLATFORM_PLUGINS.get(platform or expected_platform())
    if plugin:
        binaries.append(qt_dir / "plugins" / "platforms" / plugin)
    missing: set[str] = set()
    for binary in binaries:
        missing |= _missing_libraries(binary)
    # Since Qt 6.5 the xcb plugin also dlopen()s libxcb-cursor, which ldd cannot see.
    if plugin == PLATFORM_PLUGINS["xcb"] and not _loadable("libxcb-cursor.so.0"):
        missing.add("libxcb-cursor.so.0")
    return missing


def install_advice(libraries: set[str]) -> str:
    debian = sorted({LIBRARY_PACKAGES.get(lib, (lib, lib))[0] for lib in libraries})
    fedora = sorted({LIBRARY_PACKAGES.get(lib, (lib, lib))[1] for lib in libraries})
    return (
        f"Qt needs system libraries that are missing: {', '.join(sorted(libraries))}.\n"
        f"  Debian/Ubuntu: sudo apt-get install {' '.join(debian)}\n"
        f"  Fedora:        sudo dnf install {' '.join(fedora)}"
    )


def explain_import_error(exc: BaseException) -> str:
    """A plain explanation of a failed Qt import, naming the package to install when possible."""
    text = str(exc)
    libraries = {lib for lib in LIBRARY_PACKAGES if lib in text} | missing_qt_libraries()
    if libraries:
        return install_advice(libraries)
    return f"The Qt libraries could not be loaded ({text}). Reinstall with 'make run'."


def main() -> int:
    platform = expected_platform()
    missing = missing_qt_libraries(platform)
    if missing:
        print(install_advice(missing), file=sys.stderr)
        print(f"(checked for Qt's '{platform}' platform)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
