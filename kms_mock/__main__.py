"""``python -m kms_mock``: the same command line as the ``kms-mock`` script."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
