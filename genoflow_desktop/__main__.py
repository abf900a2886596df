"""``python -m genoflow_desktop`` behaves exactly like the ``genoflow`` command."""

import sys

from genoflow_desktop.cli import main

sys.exit(main())
