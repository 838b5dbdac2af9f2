"""The production engine: ``paddleocr`` 3.x on onnxruntime with local model folders.

Offline by construction: both models come from local folders (see
:mod:`borderpass.ocr.models_prep`), the hoster connectivity check is disabled, and the
document/text-line orientation and unwarping sub-models are off (the reader turns photos).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from borderpass.ocr.engine import TextLine
from borderpass.ocr.errors import EngineUnavailable, OcrEngineError
from borderpass.ocr.models_prep import DET_NAME, REC_NAME, is_prepared, prepare_paddle_models
from borderpass.ocr.rapid import default_threads

DEFAULT_MODEL_DIR = Path("var") / "ocr-models"


def _import_paddleocr() -> Any:
    """Import paddleocr with the model-source check off (PaddleX reads the flag on import)."""
    os.environ["PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK"] = "True"
    os.environ.setdefault("PADDLEOCR_DISABLE_AUTO_LOGGING_CONFIG", "1")
    try:
        import paddleocr
    except ImportError as exc:
        raise EngineUnavailable("paddleocr is not installed: pip install -e '.[paddle]'") from exc
    return paddleocr


def _model_dirs(
    model_dir: Path | None, det_dir: Path | None, rec_dir: Path | None
) -> tuple[Path, Path]:
    """Explicit folders win; else the prepared layout under ``model_dir``, made if missing."""
    if det_dir is not None and rec_dir is not None:
        return Path(det_dir), Path(rec_dir)
    root = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
    det, rec = root / DET_NAME, root / REC_NAME
    if not (is_prepared(det, DET_NAME) and is_prepared(rec, REC_NAME)):
        det, rec = prepare_paddle_models(root)
    return Path(det_dir or det), Path(rec_dir or rec)


class PaddleOcrEngine:
    """PP-OCRv6 small detection + recognition through paddleocr's onnxruntime engine."""

    name = "paddleocr"

    def __init__(
        self,
        *,
        model_dir: Path | None = None,
        det_model_dir: Path | None = None,
        rec_model_dir: Path | None = None,
        det_model_name: str = DET_NAME,
        rec_model_name: str = REC_NAME,
        det_limit_side_len: int = 736,
        det_limit_type: str = "max",
        threads: int | None = None,
        rec_batch_size: int = 6,
        box_thresh: float | None = None,
        unclip_ratio: float | None = None,
        rec_score_thresh: float = 0.5,
    ) -> None:
        det, rec = _model_dirs(model_dir, det_model_dir, rec_model_dir)
        for folder in (det, rec):
            if not (folder / "inference.onnx").is_file():
                raise EngineUnavailable(f"no inference.onnx in {folder}")
        self.threads = threads or default_threads()
        paddleocr = _import_paddleocr()
        logging.getLogger("paddlex").setLevel(logging.WARNING)
        try:
            self._ocr = paddleocr.PaddleOCR(
                text_detection_model_name=det_model_name,
                text_detection_model_dir=str(det),
                text_recognition_model_name=rec_model_name,
                text_recognition_model_dir=str(rec),
                text_recognition_batch_size=rec_batch_size,
                use_doc_orientation_classify=False,
                use_doc_unwarping=False,
                use_textline_orientation=False,
                text_det_limit_side_len=det_limit_side_len,
                text_det_limit_type=det_limit_type,
                text_det_box_thresh=box_thresh,
                text_det_unclip_ratio=unclip_ratio,
                text_rec_score_thresh=rec_score_thresh,
                engine="onnxruntime",
                engine_config={"intra_op_num_threads": self.threads, "inter_op_num_threads": 1},
                device="cpu",
            )
        except (ImportError, OSError, RuntimeError, ValueError) as exc:
            raise EngineUnavailable(f"paddleocr could not start: {exc}") from exc

    def read_upright(self, image: np.ndarray) -> tuple[int, list[TextLine]]:
        """No turn of its own: the lines of the photo as given (the reader turns it)."""
        return 0, self.read(image)

    def read(self, image: np.ndarray, upright: bool = False) -> list[TextLine]:
        """Read all text lines of an RGB uint8 image (PaddleX wants BGR arrays)."""
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        try:
            results = self._ocr.predict(bgr)
        except Exception as exc:  # onnxruntime and PaddleX raise many types
            raise OcrEngineError(f"paddleocr failed: {exc}") from exc
        lines: list[TextLine] = []
        for result in results:
            polys, texts, scores = result["rec_polys"], result["rec_texts"], result["rec_scores"]
            for poly, text, score in zip(polys, texts, scores, strict=False):
                if not str(text).strip():
                    continue
                pts = np.asarray(poly, dtype=float).reshape(-1, 2)[:4]
                box = tuple((float(x), float(y)) for x, y in pts)
                lines.append(TextLine(str(text), box, float(score)))  # type: ignore[arg-type]
        return lines
