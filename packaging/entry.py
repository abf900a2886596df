"""Entry point of the frozen app: the same `genoflow` command as a source install."""

import sys

from genoflow_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
