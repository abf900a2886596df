"""core/ and the CLI commands must import and work on a machine where Qt cannot load."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

BLOCK_QT = """
import importlib.abc, sys
class BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'PySide6', 'shiboken6', 'qasync', 'pyqtgraph'}:
            raise ImportError(f'{name} is blocked in this test')
sys.meta_path.insert(0, BlockQt())
import pkgutil, importlib, genoflow_desktop
skipped = ('genoflow_desktop.qt', 'genoflow_desktop.__main__', 'genoflow_desktop.core.store.migrations.env')
for module in pkgutil.walk_packages(genoflow_desktop.__path__, 'genoflow_desktop.'):
    if not module.name.startswith(skipped):
        importlib.import_module(module.name)
from genoflow_desktop.cli import main
sys.exit(main(['--temp-basedir', 'info', '--json']))
"""


def test_core_and_cli_work_without_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_QT],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"schema"' in result.stdout


def test_import_contracts_hold() -> None:
    """The layering rules in pyproject.toml ([tool.importlinter]) are checked by import-linter."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken" in result.stdout
