"""The production engine: ``paddleocr`` 3.x on onnxruntime with local model folders.

Offline by construction: both models come from local folders (see
:mod:`borderpass.ocr.models_prep`), the hoster connectivity check is disabled, and the
document/text-line orientation and unwarping sub-models are off: their models ship in no
wheel, and the engine turns photos itself with the line classifier in rapidocr's wheel.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from borderpass.ocr import direction
from borderpass.ocr.engine import Point, TextLine
from borderpass.ocr.errors import EngineUnavailable, OcrEngineError
from borderpass.ocr.models_prep import DET_NAME, REC_NAME, is_prepared, prepare_paddle_models
from borderpass.ocr.rapid import CLS_MODEL, bundled_model_dir, default_threads

log = logging.getLogger(__name__)

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


def _pipeline_steps(ocr: Any) -> Any:
    """PaddleX's OCR pipeline inside ``ocr``, whose detection, crop and recognition steps
    :meth:`PaddleOcrEngine.read_upright` runs one by one (checked against paddleocr 3.7)."""
    pipeline = getattr(ocr, "paddlex_pipeline", None)
    steps = ("text_det_model", "text_rec_model", "_sort_boxes", "_crop_by_polys")
    if pipeline is None or not all(hasattr(pipeline, step) for step in steps):
        raise EngineUnavailable("this paddleocr has no PaddleX OCR pipeline steps to call")
    return pipeline


def _narrow_recognition(pipeline: Any, min_width: int) -> None:
    """Pad recognition crops to ``min_width`` px instead of the model's 320: a short label
    then costs a third of the time (PaddleX has no option for it)."""
    resize: Any = getattr(pipeline.text_rec_model, "pre_tfs", {}).get("ReisizeNorm")
    shape = getattr(resize, "rec_image_shape", None)
    if shape is None or len(shape) != 3:
        log.warning("paddleocr: recognition input shape not found; crops stay padded to 320")
        return
    resize.rec_image_shape = [shape[0], shape[1], min_width]


class PaddleOcrEngine:
    """PP-OCRv6 small detection + recognition through paddleocr's onnxruntime engine.

    Recognition reads one crop at a time padded to 96 px: batches of six padded to 320 px
    took 60 % longer per photo (one thread, DEV samples). :meth:`read_upright` turns
    photos with PP-OCR's 0/180° line classifier from rapidocr's wheel, as rapidocr does.
    """

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
        rec_batch_size: int = 1,
        rec_min_width: int = 96,
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
        self._steps = _pipeline_steps(self._ocr)
        _narrow_recognition(self._steps, rec_min_width)
        self.rec_score_thresh = rec_score_thresh
        self._classifier = direction.LineClassifier(bundled_model_dir() / CLS_MODEL, self.threads)

    def read_upright(self, image: np.ndarray) -> tuple[int, list[TextLine]]:
        """Detect lines once, tell the photo's turn from them (:mod:`direction`), and read
        the lines of the photo turned upright (detected again if it was turned)."""
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        try:
            return direction.read_turned(bgr, self._detect, _quad, self._classifier,
                                         self._recognise, lambda: self.read(image))
        except OcrEngineError:
            raise
        except Exception as exc:  # onnxruntime and PaddleX raise many types
            raise OcrEngineError(f"paddleocr failed: {exc}") from exc

    def _detect(self, bgr: np.ndarray) -> list[np.ndarray]:
        """Text polygons of a BGR image in reading order, as the pipeline finds them."""
        found = next(iter(self._steps.text_det_model([bgr])))
        return list(self._steps._sort_boxes(found["dt_polys"]))

    def _recognise(self, bgr: np.ndarray, polys: list[np.ndarray]) -> list[TextLine]:
        """Read the upright lines inside ``polys``, narrowest crops first as the pipeline does."""
        crops = list(self._steps._crop_by_polys(bgr, polys))
        kept = [i for i, crop in enumerate(crops) if crop.size > 0]
        kept.sort(key=lambda i: crops[i].shape[1] / crops[i].shape[0])
        lines = []
        for index, result in zip(
            kept, self._steps.text_rec_model([crops[i] for i in kept]), strict=True
        ):
            text, score = str(result["rec_text"]), float(result["rec_score"])
            if text.strip() and score >= self.rec_score_thresh:
                lines.append((index, TextLine(text, _quad(polys[index]), score)))
        return [line for _, line in sorted(lines, key=lambda item: item[0])]

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
                lines.append(TextLine(str(text), _quad(poly), float(score)))
        return lines


def _quad(poly: Any) -> tuple[Point, Point, Point, Point]:
    """The first four corners of a PaddleX polygon as float points."""
    pts = np.asarray(poly, dtype=float).reshape(-1, 2)[:4]
    corners = [(float(x), float(y)) for x, y in pts]
    return (corners[0], corners[1], corners[2], corners[3])
