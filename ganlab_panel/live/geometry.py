"""Where things are drawn: plain NumPy geometry shared by the app's plots and
the pictures (PNG, GIF, the whole screen), so both draw the same lines.

Coordinates of the layered view are GAN Lab's unit square, y up. The overview
graph is drawn in pixel coordinates (``OVERVIEW_W`` × ``OVERVIEW_H``, y up) so
that Panel widgets can be laid over it at known places.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganlab_panel.engine.frames import GRADIENT_ARROW_UNIT, Frame
from ganlab_panel.live import style

BOUNDS = (0.0, 0.0, 1.0, 1.0)


def manifold_segments(manifold: np.ndarray | None, box=BOUNDS) -> np.ndarray:
    """(n, 4) segments of the manifold's grid lines (2D noise) or curve (1D
    noise), mapped into ``box``; empty when there is none or it is not finite."""
    if manifold is None or not np.isfinite(manifold).all():
        return np.empty((0, 4))
    m = to_box(manifold, box)
    if m.ndim == 2:
        return np.column_stack([m[:-1], m[1:]])
    along_j = np.column_stack([m[:, :-1].reshape(-1, 2), m[:, 1:].reshape(-1, 2)])
    along_i = np.column_stack([m[:-1, :].reshape(-1, 2), m[1:, :].reshape(-1, 2)])
    return np.vstack([along_j, along_i])


def segments_inside(segments: np.ndarray, box) -> np.ndarray:
    """The segments whose both ends lie inside ``box`` (thumbnails clip their content)."""
    b = box.bounds if isinstance(box, Box) else box
    if len(segments) == 0:
        return segments
    x, y = segments[:, [0, 2]], segments[:, [1, 3]]
    keep = ((x >= b[0]) & (x <= b[2]) & (y >= b[1]) & (y <= b[3])).all(axis=1)
    return segments[keep]


def arrow_segments(origins: np.ndarray | None, vectors: np.ndarray | None,
                   unit: float = GRADIENT_ARROW_UNIT, box=BOUNDS) -> np.ndarray:
    """(3n, 4) segments x0, y0, x1, y1: a shaft of length ∝ |vector| (``unit``
    per unit) and two barbs at its tip, for each origin; mapped into ``box``."""
    if origins is None or vectors is None or len(origins) == 0:
        return np.empty((0, 4))
    o = np.asarray(origins, dtype=float)
    v = np.asarray(vectors, dtype=float) * unit
    tip = o + v
    length = np.linalg.norm(v, axis=1, keepdims=True)
    unit_v = np.divide(v, length, out=np.zeros_like(v), where=length > 0)
    head = np.minimum(length, 0.02) * 0.6
    back = -unit_v * head
    normal = np.column_stack([-unit_v[:, 1], unit_v[:, 0]]) * head * 0.6
    shafts = np.column_stack([o, tip])
    barb1 = np.column_stack([tip, tip + back + normal])
    barb2 = np.column_stack([tip, tip + back - normal])
    segs = np.vstack([shafts, barb1, barb2])
    segs = segs[np.isfinite(segs).all(axis=1)]
    x0, y0, w, h = box[0], box[1], box[2] - box[0], box[3] - box[1]
    return segs * [w, h, w, h] + [x0, y0, x0, y0]


def padded_range(values) -> tuple[float, float] | None:
    """A chart axis's range for ``values``: their finite span and 5 % more
    (a flat line gets a little room too); None without a finite value."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return None
    low, high = float(v.min()), float(v.max())
    pad = 0.05 * (high - low) if high > low else max(abs(high) * 0.05, 1e-3)
    return low - pad, high + pad


OVERVIEW_W, OVERVIEW_H = 880, 520


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


#: where each component of the model overview graph sits (pixels, y up).
BOXES: dict[str, Box] = {
    "noise": Box(20, 225, 80, 285),
    "generator": Box(140, 180, 290, 330),
    "real": Box(360, 320, 420, 380),
    "fake": Box(360, 195, 420, 255),
    "discriminator": Box(480, 180, 630, 330),
    "pred_real": Box(690, 320, 750, 380),
    "pred_fake": Box(690, 195, 750, 255),
    "d_loss": Box(780, 330, 860, 345),
    "g_loss": Box(780, 235, 860, 250),
    "g_grad": Box(360, 40, 420, 100),
    "d_grad": Box(480, 420, 630, 440),
}

LABELS: dict[str, tuple[float, float, str]] = {
    "noise": (50, 213, "Noise"),
    "generator": (215, 168, "Generator"),
    "real": (390, 392, "Real"),
    "fake": (390, 267, "Fake"),
    "samples": (390, 183, "Samples"),
    "discriminator": (555, 168, "Discriminator"),
    "pred_real": (720, 392, "Real"),
    "pred_fake": (720, 267, "Fake"),
    "predictions": (720, 183, "Prediction of Samples"),
    "d_loss": (820, 318, "Discriminator loss"),
    "g_loss": (820, 222, "Generator loss"),
    "g_grad": (390, 28, "Gradients (G)"),
    "d_grad": (555, 452, "Gradients (D)"),
}

#: the data flow, as polylines between components.
FORWARD_PATHS = [
    [(80, 255), (140, 255)],                      # noise -> G
    [(290, 225), (360, 225)],                     # G -> fake samples
    [(420, 350), (450, 350), (450, 290), (480, 290)],   # real -> D
    [(420, 225), (480, 225)],                     # fake -> D
    [(630, 290), (660, 290), (660, 350), (690, 350)],   # D -> prediction on real
    [(630, 225), (690, 225)],                     # D -> prediction on fake
]
D_UPDATE_PATHS = [
    [(750, 350), (765, 350), (765, 338), (780, 338)],   # predictions -> D loss
    [(750, 225), (765, 225), (765, 338), (780, 338)],
    [(860, 338), (870, 338), (870, 430), (555, 430)],   # D loss -> gradients -> D, unbroken
    [(555, 430), (555, 330)],
]
G_UPDATE_PATHS = [
    [(750, 225), (765, 225), (765, 243), (780, 243)],   # prediction on fake -> G loss
    [(860, 243), (870, 243), (870, 70), (420, 70)],     # G loss -> gradients
    [(360, 70), (215, 70), (215, 180)],           # gradients -> G
]


def to_box(points: np.ndarray, box) -> np.ndarray:
    """Map unit-square coordinates (..., 2) into a box given as bounds."""
    b = box.bounds if isinstance(box, Box) else box
    p = np.asarray(points, dtype=float)
    return np.stack([b[0] + p[..., 0] * (b[2] - b[0]), b[1] + p[..., 1] * (b[3] - b[1])], axis=-1)


def _path_length(path: np.ndarray) -> np.ndarray:
    return np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))]


def flow_dots(paths: list, phase: float, spacing: float = 18.0) -> np.ndarray:
    """Dots spaced ``spacing`` pixels apart along each polyline, shifted by
    ``phase`` pixels: advancing the phase animates the flow."""
    out = []
    for path in paths:
        p = np.asarray(path, dtype=float)
        s = _path_length(p)
        if s[-1] == 0:
            continue
        at = np.arange(phase % spacing, s[-1], spacing)
        out.append(np.column_stack([np.interp(at, s, p[:, 0]), np.interp(at, s, p[:, 1])]))
    return np.vstack(out) if out else np.empty((0, 2))


def _inside(points: np.ndarray, key: str) -> np.ndarray:
    b = BOXES[key]
    return (points[:, 0] >= b.x0) & (points[:, 0] <= b.x1) & (points[:, 1] >= b.y0) & (points[:, 1] <= b.y1)


def thumbnail_layers(frame: Frame | None) -> dict:
    """The overview's thumbnail dots, mapped into their boxes (dots outside a box
    are dropped): noise, real and fake samples as (n, 2) arrays, and both
    predictions as ``pred`` columns x, y, score (D's output after GAN Lab's
    sqrt stretch, coloured on PRGn). Where G takes noise of more than two
    dimensions there is no manifold to draw, and the generator's box shows
    where G sends the noise instead: the fake samples (``generator``; empty
    where the manifold is drawn)."""
    empty = np.empty((0, 2))
    if frame is None:
        return {"noise": empty, "real": empty, "fake": empty, "generator": empty,
                "pred": {"x": np.empty(0), "y": np.empty(0), "score": np.empty(0)}}
    noise = frame.noise if frame.noise_dim >= 2 else np.column_stack([frame.noise[:, 0], np.full(len(frame.noise), 0.5)])
    out = {}
    in_generator = frame.fake if frame.manifold is None else empty
    for key, pts in (("noise", noise[:, :2]), ("real", frame.real), ("fake", frame.fake), ("generator", in_generator)):
        boxed = to_box(pts, BOXES[key])
        out[key] = boxed[_inside(boxed, key)]
    pr, pf = to_box(frame.real, BOXES["pred_real"]), to_box(frame.fake, BOXES["pred_fake"])
    keep_r, keep_f = _inside(pr, "pred_real"), _inside(pf, "pred_fake")
    xy = np.vstack([pr[keep_r], pf[keep_f]])
    score = np.concatenate([style.sqrt_abs(np.nan_to_num(frame.d_shown(frame.d_real), nan=0.5))[keep_r],
                            style.sqrt_abs(np.nan_to_num(frame.d_shown(frame.d_fake), nan=0.5))[keep_f]])
    out["pred"] = {"x": xy[:, 0], "y": xy[:, 1], "score": score}
    return out


def loss_bar_width(loss: float, loss_name: str, network: str) -> float:
    """GAN Lab's loss-bar length in pixels: D (shown halved) and G, per loss."""
    if not np.isfinite(loss):
        return 0.0
    if network == "d":
        computed = 2 * loss
        width = computed * 50.0 if loss_name == "least_squares" else (computed * 0.5) ** 2 * 50.0
    else:
        width = loss * 2.0 * 50.0 if loss_name == "least_squares" else loss**2 * 50.0
    return float(min(width, 80.0))


def loss_bars(frame: Frame | None) -> dict:
    """The two loss bars (D, then G) as rectangle columns with their colours."""
    cols = {"x0": [], "y0": [], "x1": [], "y1": [], "color": [style.D_BLUE, style.G_PURPLE]}
    for key, net in (("d_loss", "d"), ("g_loss", "g")):
        b = BOXES[key]
        value = getattr(frame, key) if frame is not None else float("nan")
        loss_name = frame.info.get("loss", "log") if frame is not None else "log"
        cols["x0"].append(b.x0)
        cols["y0"].append(b.y0)
        cols["x1"].append(b.x0 + loss_bar_width(value, loss_name, net))
        cols["y1"].append(b.y1)
    return {k: np.asarray(v, dtype=object if k == "color" else float) for k, v in cols.items()}


def loss_labels(frame: Frame | None) -> dict:
    texts = []
    for key, attr in (("d_loss", "d_loss"), ("g_loss", "g_loss")):
        v = getattr(frame, attr) if frame is not None else float("nan")
        texts.append("–" if not np.isfinite(v) else f"{v:.3f}")
    return {"x": [BOXES["d_loss"].x0, BOXES["g_loss"].x0], "y": [BOXES["d_loss"].y1 + 10, BOXES["g_loss"].y1 + 10],
            "text": texts}
