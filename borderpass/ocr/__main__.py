"""``python -m borderpass.ocr KIND IMAGE... --json``: the OCR command without the full CLI."""

from __future__ import annotations

import sys

from borderpass.ocr.cli import main

if __name__ == "__main__":
    sys.exit(main())
