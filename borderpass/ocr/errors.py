"""Errors of the OCR engine layer: an engine that cannot be built or cannot read."""

from __future__ import annotations


class OcrEngineError(Exception):
    """Base of the OCR engine layer's errors; library errors are chained with ``from``."""


class EngineUnavailable(OcrEngineError):
    """The engine's package or its local model files are missing (nothing is downloaded)."""


class UnknownEngine(OcrEngineError):
    """An engine name other than the ones :func:`borderpass.ocr.engines.make_engine` knows."""
