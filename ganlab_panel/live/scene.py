"""Scene: a Frame plus the dense layers only Datashader makes practical.

GAN Lab evaluates its discriminator on 30×30 cells and draws 400 manifold quads
as SVG. Here the same moment also carries:

- the generator manifold rasterised by Datashader (its quads as triangles, each
  pixel holding GAN Lab's fill opacity of the quad over it);
- a high-resolution discriminator field (D on a fine grid);
- the generator's density from tens of thousands of fresh samples, aggregated
  by Datashader.

Everything here is computed off the server's event loop, by the runner's worker,
and is plain NumPy afterwards. No Panel, HoloViews or Bokeh.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ganlab_panel.engine.frames import Frame

# Datashader imports pyct, which imports requests if it can; requests then
# tries urllib3's optional SOCKS support, which warns that PySocks is absent
# (in a notebook, as red text under the app's cell). Nothing here uses SOCKS.
warnings.filterwarnings("ignore", message="SOCKS support in urllib3", module="urllib3.contrib.socks")

#: pixels per side of the dense rasters: half the layered view's 400 px, so the
#: browser scales them by exactly two (a non-integer ratio costs it far more).
RASTER_SIZE = 200

#: pixels per side of the overview's generator thumbnail (its box is 150 px).
THUMB_SIZE = 150

#: fresh samples behind the generator-density layer.
DENSITY_SAMPLES = 40_000

_canvas_cache: dict = {}
_density_noise: dict = {}


def _canvas(size: int):
    import datashader as ds

    key = size
    if key not in _canvas_cache:
        _canvas_cache[key] = ds.Canvas(plot_width=size, plot_height=size, x_range=(0, 1), y_range=(0, 1))
    return _canvas_cache[key]


@functools.cache
def _quad_triangles(side: int) -> np.ndarray:
    """Vertex indices of the two triangles of each quad of a side×side point grid (read-only)."""
    idx = np.arange(side * side).reshape(side, side)
    a, b = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel()
    c, d = idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    tris = np.stack([np.r_[a, a], np.r_[b, c], np.r_[c, d]], axis=1)
    tris.setflags(write=False)
    return tris


#: what the mesh handed to Datashader's trimesh is made of: x, y, and a weight per triangle
_MESH_VERTICES = pd.DataFrame({"x": np.empty(0), "y": np.empty(0)})
_MESH_SIMPLICES = pd.DataFrame({"v0": np.empty(0), "v1": np.empty(0), "v2": np.empty(0), "w": np.empty(0)})


def rasterize_manifold(manifold: np.ndarray, opacity: np.ndarray, size: int = RASTER_SIZE) -> np.ndarray:
    """(size, size) float32 image, row 0 at the bottom: the opacity of the
    manifold quad covering each pixel (max where quads overlap), NaN elsewhere.

    The triangle mesh Datashader rasterises is built here in NumPy (three rows
    per triangle, as ``datashader.utils.mesh`` builds it, with its winding rule),
    which costs a fraction of building it from vertex and simplex tables."""
    import datashader as ds

    side = manifold.shape[0]
    tris = _quad_triangles(side)
    xy = manifold.reshape(-1, 2)
    weights = np.r_[opacity.ravel(), opacity.ravel()]
    keep = np.isfinite(xy).all(axis=1)[tris].all(axis=1)
    if not keep.any():
        return np.full((size, size), np.nan, dtype=np.float32)
    tris, weights = tris[keep], weights[keep]
    a, b, c = xy[tris[0]]
    if (b - a)[0] * (c - a)[1] - (b - a)[1] * (c - a)[0] >= 0:   # Datashader's winding, from the first triangle
        tris = tris[:, [0, 2, 1]]
    corners = xy[tris].reshape(-1, 2)
    mesh = pd.DataFrame({"x": corners[:, 0], "y": corners[:, 1], "w": weights.repeat(3)})
    agg = _canvas(size).trimesh(_MESH_VERTICES, _MESH_SIMPLICES, mesh=mesh, agg=ds.max("w"))
    return np.asarray(agg.values, dtype=np.float32)


def resample(raster: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour resize of a square raster (for thumbnails)."""
    idx = (np.arange(size) * raster.shape[0] / size).astype(int)
    return raster[np.ix_(idx, idx)]


def density_image(samples: np.ndarray, size: int = RASTER_SIZE) -> np.ndarray:
    """(size, size) float32 share of ``samples`` per pixel relative to the
    densest pixel (0..1, NaN where empty), row 0 at the bottom."""
    import datashader as ds

    pts = samples[np.isfinite(samples).all(axis=1)]
    if len(pts) == 0:
        return np.full((size, size), np.nan, dtype=np.float32)
    agg = _canvas(size).points(pd.DataFrame({"x": pts[:, 0], "y": pts[:, 1]}), "x", "y", agg=ds.count())
    counts = np.asarray(agg.values, dtype=np.float32)
    peak = counts.max()
    out = np.full(counts.shape, np.nan, dtype=np.float32)
    if peak > 0:
        nz = counts > 0
        # square root keeps sparse regions visible next to dense ones
        out[nz] = np.sqrt(counts[nz] / peak)
    return out


def density_noise(noise_dim: int, noise_type: str) -> np.ndarray:
    """A fixed, read-only set of noise vectors for the density layer, so the
    layer changes only when the generator does (not with sampling noise):
    :data:`DENSITY_SAMPLES`, then as many more as Jacobian-based truncation
    may need to choose that many from."""
    from ganlab_panel.engine.data import sample_noise
    from ganlab_panel.engine.truncation import MAX_TRUNCATION, noise_needed

    key = (noise_dim, noise_type)
    if key not in _density_noise:
        rng = np.random.default_rng(20181021)
        z = np.concatenate([sample_noise(rng, n, noise_dim, noise_type) for n in
                            (DENSITY_SAMPLES, noise_needed(DENSITY_SAMPLES, MAX_TRUNCATION) - DENSITY_SAMPLES)])
        z.setflags(write=False)
        _density_noise[key] = z
    return _density_noise[key]


def fine_grid(size: int = RASTER_SIZE) -> np.ndarray:
    c = (np.arange(size) + 0.5) / size
    xx, yy = np.meshgrid(c, c)
    return np.column_stack([xx.ravel(), yy.ravel()])


@dataclass(frozen=True, eq=False)
class Scene:
    """One moment to draw: the Frame and the dense layers that were asked for."""

    frame: Frame
    #: (size, size) manifold opacity raster, or None for 1D noise.
    manifold_raster: np.ndarray | None = None
    #: the same at the overview thumbnail's size.
    manifold_thumb: np.ndarray | None = None
    #: (size, size) D on a fine grid, or None when not asked for.
    d_field: np.ndarray | None = None
    #: (size, size) generator density, or None when not asked for.
    density: np.ndarray | None = None


def compute_scene(trainer, *, d_field: bool = False, density: bool = False,
                  size: int = RASTER_SIZE, divergences: bool = True) -> Scene:
    """Snapshot ``trainer`` and compute the dense layers asked for, all under the
    trainer's lock so a config change cannot land in between."""
    with trainer.lock:
        return _compute_scene(trainer, d_field, density, size, divergences)


def _compute_scene(trainer, d_field: bool, density: bool, size: int, divergences: bool) -> Scene:
    frame = trainer.snapshot(divergences=divergences)
    raster = thumb = None
    if frame.manifold_opacity is not None and frame.finite:
        raster = rasterize_manifold(frame.manifold, frame.manifold_opacity, size)
        thumb = resample(raster, THUMB_SIZE)
    field = trainer.discriminate(fine_grid(size)).reshape(size, size).astype(np.float32) if d_field else None
    dens = None
    if density:
        cfg = trainer.config
        noise = trainer.kept_noise(density_noise(cfg.noise_dim, cfg.noise_type), DENSITY_SAMPLES)
        dens = density_image(trainer.generate(noise), size)
    return Scene(frame=frame, manifold_raster=raster, manifold_thumb=thumb, d_field=field, density=dens)


def warm_up() -> None:
    """Compile Datashader's kernels once (numba takes seconds the first time)."""
    u = np.linspace(0, 1, 3)
    grid = np.stack(np.meshgrid(u, u, indexing="ij"), axis=-1)
    rasterize_manifold(grid, np.full((2, 2), 0.5), 8)
    density_image(np.random.default_rng(0).random((10, 2)), 8)
