"""The embedded default engine: ``rapidocr`` 3.10 on the PP-OCR models inside its wheel.

Every model path is given explicitly, so rapidocr never reaches its download code
(which it runs whenever a path is left to be resolved from its model list); a
missing file is an :class:`EngineUnavailable` here, never a fetch.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from borderpass.ocr.engine import TextLine
from borderpass.ocr.errors import EngineUnavailable, OcrEngineError

# The files rapidocr 3.10 ships in rapidocr/models/ (checked against the wheel).
DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"


def bundled_model_dir() -> Path:
    """The folder of models inside the installed rapidocr wheel."""
    try:
        import rapidocr
    except ImportError as exc:
        raise EngineUnavailable("rapidocr is not installed") from exc
    return Path(rapidocr.__file__).resolve().parent / "models"


def default_threads() -> int:
    """Threads per inference session: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _box(points: Any) -> tuple[tuple[float, float], ...]:
    """Four float corners from rapidocr's (4, 2) array."""
    return tuple((float(x), float(y)) for x, y in np.asarray(points).reshape(4, 2))


class RapidOcrEngine:
    """PP-OCRv6 small detection + recognition through rapidocr and onnxruntime.

    Defaults measured with bench/ocr.py on 2 cores: detection on the photo scaled down to
    736 px on its long side (rapidocr's "min" mode scales small photos *up*, to 4000+ px
    for a narrow strip); recognition one crop at a time, padded to 96 px not 320 (padding
    was most of its time); the 0/180° line classifier on, since it is cheap and saves the
    reader a second reading of upside-down photos.
    """

    name = "rapidocr"

    def __init__(
        self,
        *,
        det_limit_side_len: int = 736,
        det_limit_type: str = "max",
        max_side_len: int = 2000,
        threads: int | None = None,
        rec_batch_num: int = 1,
        rec_min_width: int = 96,
        text_score: float = 0.5,
        box_thresh: float = 0.5,
        unclip_ratio: float = 1.6,
        use_cls: bool = True,
        model_dir: Path | None = None,
    ) -> None:
        models = model_dir or bundled_model_dir()
        paths = {
            key: models / name
            for key, name in (("Det", DET_MODEL), ("Rec", REC_MODEL), ("Cls", CLS_MODEL))
        }
        missing = [str(p) for p in paths.values() if not p.is_file()]
        if missing:
            raise EngineUnavailable(f"rapidocr model files missing: {', '.join(missing)}")
        self.threads = threads or default_threads()
        params: dict[str, Any] = {
            "Global.use_cls": use_cls,
            "Global.text_score": text_score,
            "Global.max_side_len": max_side_len,
            "Global.log_level": "error",
            "Global.model_root_dir": str(models),
            "Det.limit_side_len": det_limit_side_len,
            "Det.limit_type": det_limit_type,
            "Det.box_thresh": box_thresh,
            "Det.unclip_ratio": unclip_ratio,
            "Rec.rec_batch_num": rec_batch_num,
            # Crops narrower than this are padded up to it; rapidocr's 320 wastes most of
            # the recognition time on short labels and values.
            "Rec.rec_img_shape": [3, 48, rec_min_width],
            "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        params.update({f"{key}.model_path": str(path) for key, path in paths.items()})
        from rapidocr import RapidOCR

        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        try:
            self._ocr = RapidOCR(params=params)
        except (ImportError, OSError, ValueError) as exc:
            raise EngineUnavailable(f"rapidocr could not start: {exc}") from exc

    def read(self, image: np.ndarray) -> list[TextLine]:
        """Read all text lines of an RGB uint8 image (rapidocr wants BGR arrays)."""
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        try:
            result = self._ocr(bgr)
        except Exception as exc:  # onnxruntime and cv2 raise many types
            raise OcrEngineError(f"rapidocr failed: {exc}") from exc
        boxes = getattr(result, "boxes", None)
        txts = getattr(result, "txts", None)
        scores = getattr(result, "scores", None)
        if boxes is None or txts is None or scores is None:
            return []
        return [
            TextLine(str(text), _box(box), float(score))  # type: ignore[arg-type]
            for box, text, score in zip(boxes, txts, scores, strict=False)
            if str(text).strip()
        ]
