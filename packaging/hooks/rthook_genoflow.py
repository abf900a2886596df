"""PyInstaller runtime hook: runs before the app's code in the frozen build.

A portable install (a file named ``portable`` next to the executable) keeps all data beside the
app by setting the ``GENOFLOW_*_DIR`` variables; otherwise the frozen app uses the same user
folders as a source install, so upgrading keeps the history.
"""

import os
import sys
from pathlib import Path

_app_dir = Path(sys.executable).resolve().parent
if (_app_dir / "portable").exists():
    for _kind, _variable in (("data", "GENOFLOW_DATA_DIR"), ("config", "GENOFLOW_CONFIG_DIR"),
                             ("cache", "GENOFLOW_CACHE_DIR"), ("logs", "GENOFLOW_LOG_DIR")):
        os.environ.setdefault(_variable, str(_app_dir / "userdata" / _kind))
