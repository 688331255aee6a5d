"""``python -m reference_server``: see cli.py."""

from __future__ import annotations

import sys

from reference_server.cli import main

if __name__ == "__main__":
    sys.exit(main())
