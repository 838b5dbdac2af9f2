"""Choosing an OCR engine by name (``BORDERPASS_OCR_ENGINE``): rapidocr or paddleocr."""

from __future__ import annotations

import importlib.util
from typing import Any

from borderpass.ocr.engine import OcrEngine
from borderpass.ocr.errors import UnknownEngine

ENGINES = ("rapidocr", "paddleocr")


def make_engine(name: str, **opts: Any) -> OcrEngine:
    """Build the engine called ``name``; ``opts`` go to its constructor (knobs, model dirs)."""
    key = name.strip().lower()
    if key == "rapidocr":
        from borderpass.ocr.rapid import RapidOcrEngine

        return RapidOcrEngine(**opts)
    if key == "paddleocr":
        from borderpass.ocr.paddle import PaddleOcrEngine

        return PaddleOcrEngine(**opts)
    raise UnknownEngine(f"unknown OCR engine {name!r}; choose one of: {', '.join(ENGINES)}")


def installed_engines() -> list[str]:
    """The engines whose packages are importable here (bench, tests)."""
    packages = {"rapidocr": "rapidocr", "paddleocr": "paddleocr"}
    return [name for name in ENGINES if importlib.util.find_spec(packages[name]) is not None]
