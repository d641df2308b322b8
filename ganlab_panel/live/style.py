"""Colours and visual constants, named after GAN Lab's encodings, in one place.

Real data is green, generated data purple, generator gradients pink, and the
discriminator's output runs on PRGn from purple ("fake") through grey
("undecided") to green ("real"). Pure Python: no plotting library needed.
"""

from __future__ import annotations

import numpy as np

REAL = "#008837"              # rgba(0, 136, 55): real samples
FAKE = "#7b3294"              # rgba(123, 50, 148): generated samples and the manifold
GRADIENT = "#c414db"          # rgb(196, 20, 219): generator gradients
D_BLUE = "#699eff"            # rgb(105, 158, 255): the discriminator's flow and loss
G_PURPLE = "#ba63cf"          # rgb(186, 99, 207): the generator's flow and loss
PATH_GREY = "#afafaf"         # the overview graph's dashed paths
MANIFOLD_EDGE = "#a0a0a0"     # the manifold grid's lines
PLOT_BG = "#f3f3f3"
PANEL_BG = "#f7f7f7"
HEADER_BG = "#183d4e"
KL_COLOUR = "#e08214"
JS_COLOUR = "#2166ac"
MODES_COLOUR = "#1b7837"   # modes captured: a real-data green
HQ_COLOUR = "#762a83"      # high-quality samples: a generator purple

POINT_ALPHA = 0.75
GRADIENT_ALPHA = 0.6
MANIFOLD_EDGE_ALPHA = 0.25

# ColorBrewer PRGn, 11 classes, purple -> green (GAN Lab's d3 interpolatePRGn).
_PRGN_11 = ["#40004b", "#762a83", "#9970ab", "#c2a5cf", "#e7d4e8", "#f7f7f7",
            "#d9f0d3", "#a6dba0", "#5aae61", "#1b7837", "#00441b"]


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` as (r, g, b), 0-255."""
    h = colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def interpolate_palette(stops: list[str], n: int = 256) -> list[str]:
    """``n`` colours evenly interpolated through hex ``stops``."""
    rgb = np.array([hex_to_rgb(s) for s in stops], dtype=float)
    t = np.linspace(0, len(stops) - 1, n)
    lo = np.floor(t).astype(int).clip(0, len(stops) - 2)
    frac = (t - lo)[:, None]
    mixed = rgb[lo] * (1 - frac) + rgb[lo + 1] * frac
    return ["#%02x%02x%02x" % tuple(int(round(c)) for c in row) for row in mixed]


#: the discriminator's colour map, 0 = purple ("fake") to 1 = green ("real").
D_CMAP = interpolate_palette(_PRGN_11)


def alpha_ramp(colour: str, n: int = 64, max_alpha: float = 1.0) -> list[str]:
    """``n`` copies of ``colour`` with alpha rising from 0 to ``max_alpha`` (#RRGGBBAA)."""
    base = colour.lstrip("#")
    return [f"#{base}{int(round(a * 255)):02x}" for a in np.linspace(0, max_alpha, n)]


#: the manifold raster: value = GAN Lab's fill opacity of the quad there.
MANIFOLD_CMAP = alpha_ramp(FAKE)

#: the generator's density from many samples.
DENSITY_CMAP = alpha_ramp(FAKE, max_alpha=0.85)


def sqrt_abs(d):
    """GAN Lab's contrast boost for prediction dots: stretch D's output away from 0.5."""
    d = np.asarray(d, dtype=float)
    s = np.sqrt(np.abs(2.0 * d - 1.0)) * 0.5
    return np.where(d >= 0.5, 0.5 + s, 0.5 - s)


def cmap_colours(values, cmap: list[str]) -> np.ndarray:
    """The colour of each value in 0..1 on ``cmap`` (an array of hex strings)."""
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.5)
    idx = np.clip((v * (len(cmap) - 1)).round().astype(int), 0, len(cmap) - 1)
    return np.asarray(cmap, dtype=object)[idx]


def d_colour(values) -> list[str]:
    """The PRGn colour of each D output (after GAN Lab's sqrt stretch)."""
    return list(cmap_colours(sqrt_abs(np.nan_to_num(np.asarray(values, dtype=float), nan=0.5)), D_CMAP))
