"""`make package`: build the one-folder app for this OS with PyInstaller, then smoke-test it.

Steps: gather the licenses of every bundled distribution, render the icons, run PyInstaller on
packaging/genoflow.spec, add the OS integration (Linux: .desktop entry, hicolor icons, MIME
types, install script, tarball; Windows: Inno Setup installer when iscc exists; macOS: the
.app bundle from the spec), then run the frozen `genoflow --version`, `--smoke` and `validate`
and print the bundle size and its start-up time next to the source install's.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
DIST = ROOT / "dist"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
sys.path.insert(0, str(ROOT))
from genoflow_desktop import __version__  # noqa: E402 - after the sys.path change


def collect_licenses() -> None:
    """Copy the license files of every installed distribution (all may be bundled)."""
    target = BUILD / "licenses"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"]
        files = [
            f
            for f in distribution.files or []
            if re.search(r"(LICEN[CS]E|COPYING|NOTICE)", f.name, re.I)
        ]
        for file in files:
            source = Path(distribution.locate_file(file))
            if source.is_file():
                destination = target / name / file.name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)


def render_icons() -> Path:
    """PNG icons in the hicolor sizes, plus .ico (Windows) from resources/icons/genoflow.svg."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QByteArray, QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])  # rendering needs an application
    renderer = QSvgRenderer(QByteArray((ROOT / "resources/icons/genoflow.svg").read_bytes()))
    icons = BUILD / "icons"
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        folder = icons / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        image.save(str(folder / "genoflow.png"))
        if size == 256:
            image.save(str(ROOT / "packaging/windows/genoflow.ico"))
    (icons / "hicolor/scalable/apps").mkdir(parents=True, exist_ok=True)
    shutil.copy2(
        ROOT / "resources/icons/genoflow.svg", icons / "hicolor/scalable/apps/genoflow.svg"
    )
    return icons


def run_pyinstaller() -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--distpath",
            str(DIST),
            "--workpath",
            str(BUILD / "pyinstaller"),
            str(ROOT / "packaging/genoflow.spec"),
        ],
        check=True,
    )
    return DIST / "genoflow"


#: Libraries built with debug symbols (~35 MB in all): the interpreter and its own extension
#: modules, and two wheels'. Only these: stripping the libraries that wheels vendor
#: (numpy.libs' OpenBLAS, ...) breaks them.
STRIPPABLE = (
    "libpython3*.so*",
    "python3*/lib-dynload/*.so",
    "sqlalchemy/**/*_cy*.so",
    "cryptography/**/*.so",
)


def strip_symbols(app_dir: Path) -> None:
    strip = shutil.which("strip")
    if strip is None:
        print("strip not found: the bundle keeps its debug symbols")
        return
    internal = app_dir / "_internal"
    for pattern in STRIPPABLE:
        for library in internal.glob(pattern):
            subprocess.run([strip, "--strip-unneeded", str(library)], check=True)


def linux_bundle(app_dir: Path, icons: Path) -> Path:
    stage = BUILD / f"GenoFlow-{__version__}-linux-x86_64"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "share/applications").mkdir(parents=True)
    (stage / "share/mime/packages").mkdir(parents=True)
    shutil.copytree(app_dir, stage / "genoflow", symlinks=True)
    shutil.copytree(icons, stage / "share/icons")
    shutil.copy2(
        ROOT / "packaging/linux/genoflow.desktop", stage / "share/applications/genoflow.desktop"
    )
    shutil.copy2(
        ROOT / "packaging/linux/genoflow-mime.xml", stage / "share/mime/packages/genoflow.xml"
    )
    shutil.copy2(ROOT / "packaging/linux/install.sh", stage / "install.sh")
    archive = DIST / f"{stage.name}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(stage, arcname=stage.name)
    return archive


def windows_installer() -> Path | None:
    iscc = shutil.which("iscc")
    if iscc is None:
        print("Inno Setup (iscc) not found: skipped the installer; dist/genoflow/ is the app.")
        return None
    env = {**os.environ, "GENOFLOW_VERSION": __version__}
    subprocess.run([iscc, str(ROOT / "packaging/windows/genoflow.iss")], check=True, env=env)
    return DIST / f"GenoFlow-{__version__}-windows-setup.exe"


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def first_paint_ms(command: list[str], runs: int = 5) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    times = []
    for _ in range(runs):
        output = subprocess.run(
            [*command, "--smoke", "--temp-basedir"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=120,
        ).stdout
        times.append(float(re.search(r"first paint after (\d+) ms", output).group(1)))  # type: ignore[union-attr]
    return statistics.median(times)


def smoke_test(executable: Path) -> None:
    """The frozen app must do what the source install does (what CI checks too)."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
        }
        return subprocess.run(
            [str(executable), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )

    version = run("--version")
    assert version.returncode == 0 and __version__ in version.stdout, version
    smoke = run("--smoke", "--temp-basedir")
    assert smoke.returncode == 0 and "smoke ok" in smoke.stdout, smoke
    corpus = ROOT / "tests/data/corpus"
    samples = [
        corpus / "fastq/biopython__example.fastq",
        corpus / "bam/generated__ce1000.bam",
        corpus / "vcf/htslib__test-vcf-hdr.vcf",
    ]
    samples = [s for s in samples if s.exists()]
    if samples:
        checked = run("--temp-basedir", "validate", *map(str, samples))
        assert checked.returncode in (0, 1) and "Traceback" not in checked.stderr, checked
        print(checked.stdout)
    upload_check(executable)
    print("frozen app: --version, --smoke, validate and upload work")


def upload_check(executable: Path) -> None:
    """Upload a file with the frozen app to a local S3 server (when moto is installed, as in CI):
    proves boto3 and its trimmed service models made it into the bundle."""
    import importlib.util
    import json
    import socket
    import tempfile
    import time

    if importlib.util.find_spec("moto") is None:
        print("moto not installed: skipped the frozen upload check")
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import boto3

        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        for _ in range(100):
            try:
                client.create_bucket(Bucket="frozen-check")
                break
            except Exception:  # the server is still starting
                time.sleep(0.2)
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
        with tempfile.TemporaryDirectory() as base:
            payload = Path(base) / "reads.bin"
            payload.write_bytes(os.urandom(6 * 1024 * 1024))
            common = [str(executable), "--basedir", base]
            subprocess.run(
                [
                    *common,
                    "s3",
                    "add-profile",
                    "check",
                    "--bucket",
                    "frozen-check",
                    "--endpoint-url",
                    endpoint,
                    "--credential-chain",
                    "--sse",
                    "none",
                ],
                check=True,
                env=env,
                capture_output=True,
                timeout=120,
            )
            result = subprocess.run(
                [*common, "upload", str(payload), "--profile", "check", "--json"],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert result.returncode == 0, result
            assert json.loads(result.stdout)[0]["status"] == "completed", result.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    collect_licenses()
    icons = render_icons()
    app_dir = run_pyinstaller()
    executable = app_dir / ("genoflow.exe" if sys.platform == "win32" else "genoflow")
    if sys.platform.startswith("linux"):
        strip_symbols(app_dir)
        print(f"bundle: {linux_bundle(app_dir, icons)}")
    elif sys.platform == "win32":
        windows_installer()
    smoke_test(executable)
    frozen = first_paint_ms([str(executable)])
    source = first_paint_ms([sys.executable, "-m", "genoflow_desktop"])
    print(f"| bundle size | {folder_size(app_dir) / 1e6:.0f} MB (target < 250 MB) |")
    print(f"| first paint, frozen app (median of 5) | {frozen:.0f} ms |")
    print(f"| first paint, source install (median of 5) | {source:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
