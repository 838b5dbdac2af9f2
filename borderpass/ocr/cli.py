"""``borderpass ocr KIND IMAGE... [--json]``: read document photos from the command line.

One JSON object per image, ``{"file", "kind", "fields": {name: {"value", "confidence"}},
"warnings"}``; a photo that cannot be read gets ``"error": code`` and empty fields.
A field's own warnings are listed as ``"name:code"`` in ``warnings``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from borderpass.core.errors import BorderPassError
from borderpass.ocr.engine import OcrEngine
from borderpass.ocr.errors import OcrEngineError


def _entry(path: str, kind: str, reading: dict[str, Any]) -> dict[str, Any]:
    """The CLI's object for one read photo, from ``DocumentReading.to_dict()``."""
    fields = {
        name: {"value": f.get("value"), "confidence": f.get("confidence")}
        for name, f in reading.get("fields", {}).items()
    }
    warnings = list(reading.get("warnings", []))
    for name, f in reading.get("fields", {}).items():
        warnings += [f"{name}:{code}" for code in f.get("warnings", [])]
    return {"file": path, "kind": kind, "fields": fields, "warnings": warnings}


def _read_one(path: str, kind: str, engine: OcrEngine) -> dict[str, Any]:
    """Read one file; a refusal becomes an ``error`` entry instead of stopping the run."""
    from borderpass.adapters.images import decode_rgb
    from borderpass.ocr.reader import read_document

    try:
        data = Path(path).read_bytes()
        return _entry(path, kind, read_document(kind, decode_rgb(data), engine).to_dict())
    except OSError as exc:
        return {
            "file": path,
            "kind": kind,
            "fields": {},
            "warnings": [],
            "error": "file_unreadable",
            "detail": exc.strerror or str(exc),
        }
    except BorderPassError as exc:
        return {"file": path, "kind": kind, "fields": {}, "warnings": [], "error": exc.code}


def _print_text(entries: list[dict[str, Any]], out: TextIO) -> None:
    """A human-readable listing, one block per image."""
    for entry in entries:
        print(f"{entry['file']} ({entry['kind']})", file=out)
        if "error" in entry:
            print(f"  error: {entry['error']}", file=out)
        for name, f in entry["fields"].items():
            conf = f["confidence"] if f["confidence"] is not None else 0.0
            print(
                f"  {name:<20} {conf:4.2f}  {f['value'] if f['value'] is not None else '—'}",
                file=out,
            )
        if entry["warnings"]:
            print(f"  warnings: {', '.join(entry['warnings'])}", file=out)


def ocr_command(kind: str, files: list[str], as_json: bool, engine: str) -> int:
    """Read ``files`` as documents of ``kind`` with ``engine``; 0 if all were read, else 1."""
    from borderpass.ocr.engines import make_engine
    from borderpass.ocr.reader import KINDS

    if kind not in KINDS:
        print(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}", file=sys.stderr)
        return 2
    try:
        ocr = make_engine(engine)
    except OcrEngineError as exc:
        print(f"OCR engine {engine!r} unavailable: {exc}", file=sys.stderr)
        return 2
    entries = [_read_one(path, kind, ocr) for path in files]
    if as_json:
        json.dump(entries, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        _print_text(entries, sys.stdout)
    return 1 if any("error" in e for e in entries) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m borderpass.ocr KIND IMAGE... [--json] [--engine NAME]``."""
    parser = argparse.ArgumentParser(prog="python -m borderpass.ocr", description=__doc__)
    parser.add_argument("kind")
    parser.add_argument("images", nargs="+")
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.add_argument("--engine", default=None, help="rapidocr (default) or paddleocr")
    args = parser.parse_args(argv)
    engine = args.engine
    if engine is None:
        from borderpass.core.config import Settings

        engine = Settings.from_env().ocr_engine
    return ocr_command(args.kind, args.images, args.json, engine)
