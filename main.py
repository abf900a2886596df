"""Launches GenoFlow Desktop from a source checkout; the same as the ``genoflow`` command."""

import sys

from genoflow_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
