"""3-D structure from image motion: does a plane, a gently bent sheet or a folded one explain how the face moved?

A printed photo, a bent or folded print or a screen moves between two frames as one surface: the map from the
face in one frame to the face in the other is a homography (a plane), a smooth low-order warp (a bent sheet) or
two homographies meeting at a line (a sheet folded along a crease). A real head turning is not: the nose, cheeks
and jaw sit at different depths and move differently (parallax).

Each frame keeps a small grey patch of its face box (`face_patch`); `flatness` takes the dense optical flow
(OpenCV's DIS) from the frontal patch to a turned one over the inner face, fits those models to it and returns
the smallest residual, normalised by the patch size. A small value means a flat, bent or folded sheet explains
the motion. Only image motion is used; no landmark model beyond the 5 points that find the face.
"""

from collections.abc import Sequence

import cv2
import numpy as np

from facegate.engine.face import Face

PATCH = 128  # pixels: the face box with a margin is resampled to this square before the flow
MARGIN = 0.25  # the patch spans the face box plus this share of its size on each side
INNER = int(PATCH * MARGIN / (1 + 2 * MARGIN))  # the face box's offset inside the patch: the fit uses the box only
GRID = 3  # sample every GRID pixels of the flow field
RANSAC_PX = 1.0  # homography inlier threshold in patch pixels
PERCENTILE = 80  # the residual reported: most of the face must be explained, not just its median
CREASE_STEP = 8  # pixels between the vertical creases tried by the fold model (then refined by half a step)
EDGE = 12  # a crease is tried no nearer than this to the face box's sides: each side keeps a face-sized share


def face_patch(image: np.ndarray, face: Face) -> np.ndarray:
    """The face box as a PATCH x PATCH grey uint8 patch (clipped to the image)."""
    grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    size = max(face.width, face.height) * (1 + 2 * MARGIN)
    cx, cy = (face.left + face.right) / 2, (face.top + face.bottom) / 2
    scale = PATCH / size
    # An affine crop (outside the image reads as black), so the map between two patches stays a homography.
    matrix = np.array([[scale, 0, PATCH / 2 - cx * scale], [0, scale, PATCH / 2 - cy * scale]], np.float64)
    patch = cv2.warpAffine(grey, matrix, (PATCH, PATCH), flags=cv2.INTER_AREA)
    # Equalise so the screen's colour (which tints the whole face) does not read as motion.
    return cv2.equalizeHist(patch)


def _grid() -> np.ndarray:
    """Sample points over the face box inside the patch."""
    ys, xs = np.mgrid[INNER : PATCH - INNER : GRID, INNER : PATCH - INNER : GRID]
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def _flow(reference: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """Where the flow takes each grid point of the reference patch in the moved patch."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)  # type: ignore[attr-defined]  # cv2's stubs
    field = dis.calc(reference, moved, None)
    src = _grid()
    moved_to: np.ndarray = src + field[src[:, 1].astype(int), src[:, 0].astype(int)]
    return moved_to


def _terms(points: np.ndarray) -> np.ndarray:
    x, y = (points[:, 0] - PATCH / 2) / PATCH, (points[:, 1] - PATCH / 2) / PATCH
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y, x * x * x, x * x * y], axis=1)


def _robust_fit(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Coefficients of the polynomial warp src -> dst, by iteratively reweighted least squares (robust to bad flow)."""
    terms = _terms(src)
    weights = np.ones(len(src))
    coef = np.zeros((terms.shape[1], 2))
    for _ in range(4):
        w = np.sqrt(weights)[:, None]
        coef, *_ = np.linalg.lstsq(terms * w, dst * w, rcond=None)
        residuals = np.linalg.norm(terms @ coef - dst, axis=1)
        scale = max(float(np.median(residuals)) * 1.5, 0.5)
        weights = 1.0 / np.maximum(1.0, residuals / scale)
    return coef


def _moved_to(points: np.ndarray, homography: np.ndarray) -> np.ndarray:
    moved: np.ndarray = cv2.perspectiveTransform(points[None].astype(np.float64), homography)[0]
    return moved


def _halves(
    src: np.ndarray, dst: np.ndarray, creases: Sequence[float]
) -> tuple[float, tuple[np.ndarray, np.ndarray]] | None:
    """Of the vertical `creases`, the one whose two homographies (one each side, RANSAC) best explain src -> dst."""
    best: tuple[float, float, tuple[np.ndarray, np.ndarray]] | None = None
    for crease in creases:
        left = src[:, 0] < crease
        if min(left.sum(), (~left).sum()) < len(src) // 8:
            continue
        fits = [cv2.findHomography(src[side], dst[side], cv2.RANSAC, 2 * RANSAC_PX)[0] for side in (left, ~left)]
        if any(h is None or abs(np.linalg.det(h)) < 1e-6 for h in fits):
            continue
        errors = np.empty(len(src))
        for side, h in zip((left, ~left), fits, strict=True):
            errors[side] = np.linalg.norm(_moved_to(src[side], h) - dst[side], axis=1)
        score = float(np.percentile(errors, PERCENTILE))
        if best is None or score < best[0]:
            best = (score, crease, (fits[0], fits[1]))
    return None if best is None else (best[1], best[2])


def _folded(reference: np.ndarray, moved: np.ndarray, src: np.ndarray, dst: np.ndarray) -> float | None:
    """The PERCENTILE-th residual (pixels) of a sheet folded along a vertical crease: a homography on each side.

    Two rounds, as for the plane: the crease and its homographies fitted to the flow undo most of the motion, the
    flow to the undone patch refines them (near the crease; one side may be seen nearly edge on), and the flow after
    the second undo is what no fold explains. None when no crease can be fitted.
    """
    rows, cols = np.mgrid[0:PATCH, 0:PATCH].astype(np.float32)
    pixels = np.stack([cols.ravel(), rows.ravel()], axis=1)
    creases: Sequence[float] = range(INNER + EDGE, PATCH - INNER - EDGE + 1, CREASE_STEP)
    residual = None
    for _ in range(2):
        found = _halves(src, dst, creases)
        if found is None:
            return None
        crease, (left, right) = found
        creases = (crease - CREASE_STEP / 2, crease, crease + CREASE_STEP / 2)
        on_left = (cols < crease)[..., None]
        where = np.where(on_left, *(_moved_to(pixels, h).reshape(PATCH, PATCH, 2) for h in (left, right)))
        maps = where.astype(np.float32)
        undone = cv2.remap(moved, maps[..., 0], maps[..., 1], cv2.INTER_LINEAR)
        inside = cv2.remap(np.full_like(moved, 255), maps[..., 0], maps[..., 1], cv2.INTER_NEAREST)
        rest = _flow(reference, undone).astype(np.float64)
        keep = inside[src[:, 1].astype(int), src[:, 0].astype(int)] > 0
        if keep.sum() < len(src) // 2:
            return None
        residual = float(np.percentile(np.linalg.norm(rest[keep] - src[keep], axis=1), PERCENTILE))
        side = (src[:, 0] < crease)[:, None]
        dst = np.where(side, _moved_to(rest, left), _moved_to(rest, right))  # the refined flow, for the next round
    return residual


def flatness(reference: np.ndarray, moved: np.ndarray) -> float:
    """How far the face's motion from `reference` to `moved` is from a plane, a bent sheet or a folded one, as a
    share of the patch size: the PERCENTILE-th residual of the best of a homography, a cubic warp and a fold.

    Two passes: a homography fitted to the first flow undoes most of the motion (large shears and tilts defeat
    a single flow), then the flow from the reference to the undone patch is what no plane explains; the cubic
    warp is fitted to that remainder, for a bent sheet. The fold (`_folded`) starts from the first flow too. No
    measurable motion counts as flat (no evidence of depth).
    """
    src = _grid().astype(np.float64)
    dst = _flow(reference, moved).astype(np.float64)
    homography, _ = cv2.findHomography(src, dst, cv2.RANSAC, 2 * RANSAC_PX)
    if homography is None or abs(np.linalg.det(homography)) < 1e-6:
        return 0.0
    undone = cv2.warpPerspective(moved, homography, (PATCH, PATCH), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    inside = cv2.warpPerspective(
        np.full_like(moved, 255), homography, (PATCH, PATCH), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    )
    rest = _flow(reference, undone).astype(np.float64)
    keep = inside[src[:, 1].astype(int), src[:, 0].astype(int)] > 0
    if keep.sum() < len(src) // 2:
        return 0.0
    plane = np.linalg.norm(rest[keep] - src[keep], axis=1)
    bent = np.linalg.norm(_terms(src[keep]) @ _robust_fit(src[keep], rest[keep]) - rest[keep], axis=1)
    folded = _folded(reference, moved, src, dst)
    best = min(np.percentile(plane, PERCENTILE), np.percentile(bent, PERCENTILE), np.inf if folded is None else folded)
    return float(best / PATCH)
