"""A hand-held photo of a card: find the card's outline and flatten its perspective.

Drivers photograph a card at an angle, small in the frame, often in poor light. The card
is the large light quadrilateral on a darker background: its outline is found on a
downscaled, contrast-stretched copy, and the card is warped to a flat rectangle at a size
the recogniser likes. The reader reads the flattened card only when the photo's own
reading left a field missing or failing a check, and keeps per field whichever reading
passes more checks (R-P5).
"""

from __future__ import annotations

import numpy as np

_WORK_SIDE = 640  # outline search on a copy this large
_MIN_SHARE = 0.12  # the card covers at least this share of the photo
_MAX_SHARE = 0.97  # …and less than all of it (else there is no outline to find)
_TARGET_WIDTH = 1280  # the flattened card's long side
_MARGIN = 0.015  # kept around the card, as a share of its size


def _order(corners: np.ndarray) -> np.ndarray:
    """Four corners as top-left, top-right, bottom-right, bottom-left."""
    sums = corners.sum(axis=1)
    diffs = np.diff(corners, axis=1).ravel()
    return np.array([corners[np.argmin(sums)], corners[np.argmin(diffs)],
                     corners[np.argmax(sums)], corners[np.argmax(diffs)]], dtype=np.float32)


def find_card(image: np.ndarray) -> np.ndarray | None:
    """The card's four corners (pixels of ``image``, clockwise from top-left), or None."""
    import cv2

    height, width = image.shape[:2]
    scale = _WORK_SIDE / max(height, width)
    small = cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                       interpolation=cv2.INTER_AREA)
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    outline = cv2.convexHull(max(contours, key=cv2.contourArea))
    share = cv2.contourArea(outline) / float(small.shape[0] * small.shape[1])
    if not _MIN_SHARE <= share <= _MAX_SHARE:
        return None
    approx = cv2.approxPolyDP(outline, 0.02 * cv2.arcLength(outline, True), True)
    if len(approx) == 4 and cv2.isContourConvex(approx):
        corners = approx.reshape(4, 2).astype(np.float32)
    else:  # rounded or clipped corners: the tightest rectangle around the outline
        corners = cv2.boxPoints(cv2.minAreaRect(outline)).astype(np.float32)
    return _order(corners / scale)


def flatten(image: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The card warped to a flat rectangle, long side ``_TARGET_WIDTH``, a thin margin."""
    import cv2

    tl, tr, br, bl = corners
    width = float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = float(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    scale = _TARGET_WIDTH / max(width, height, 1.0)
    out_w, out_h = round(width * scale), round(height * scale)
    pad_x, pad_y = out_w * _MARGIN, out_h * _MARGIN
    target = np.array([[pad_x, pad_y], [out_w - pad_x, pad_y], [out_w - pad_x, out_h - pad_y],
                       [pad_x, out_h - pad_y]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(image, matrix, (out_w, out_h), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)


def normalise_exposure(image: np.ndarray) -> np.ndarray:
    """Stretch a dim photo's lightness to the full range, then even it out locally
    (CLAHE), on the L channel of Lab so colours keep their hue."""
    import cv2

    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    light = lab[:, :, 0].astype(np.float32)
    low, high = np.percentile(light, (1, 99))
    stretched = (light - low) * (255.0 / max(high - low, 1.0))
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
    lab[:, :, 0] = clahe.apply(np.clip(stretched, 0, 255).astype(np.uint8))
    return np.ascontiguousarray(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB))


def is_dim(image: np.ndarray) -> bool:
    """Under-exposed: the bright end of the photo is still grey."""
    gray = image.mean(axis=2) if image.ndim == 3 else image
    return float(np.percentile(gray, 95)) < 150


def rectify(image: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The card of a hand-held photo, flattened (exposure normalised when dim), and how
    much larger its print is than in the photo; None when no card outline stands out
    from its background."""
    corners = find_card(image)
    if corners is None:
        return None
    flat = flatten(image, corners)
    tl, tr, br, bl = corners
    sides = (tr - tl, br - bl, bl - tl, br - tr)
    long_side = max(float(np.linalg.norm(side)) for side in sides)
    scale = max(flat.shape[:2]) / max(long_side, 1.0)
    return (normalise_exposure(flat) if is_dim(flat) else flat), scale


def rectified(image: np.ndarray) -> np.ndarray | None:
    """The flattened card of a hand-held photo (:func:`rectify`), or None."""
    found = rectify(image)
    return None if found is None else found[0]
