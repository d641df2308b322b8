"""What the sweep page draws: each run's outcome and picture, the phase
diagram and the JS curves, as pure functions of finished runs.

A finished run is a ``Run``: its cell, its row of results, its curve, and its
final real and generated samples. Its outcome is one of three, by a simple rule:

- **diverged**: training stopped on a NaN or infinite value (``row["diverged"]``),
  or the final JS is not a number;
- **converged**: the final JS (grid JS, in bits) is below ``JS_CONVERGED``:
  the generated samples lie over the real ones;
- **collapsed**: otherwise: training ran, but the generated samples cover only
  part of the real data (a mode collapse, or a generator that never caught up).

Nothing here holds state; the page (``page``) calls these as runs finish.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import holoviews as hv
import holoviews.plotting.bokeh  # (registers the Bokeh options used below)
import numpy as np
import pandas as pd

from ganlab_panel.engine.config import CHOICE_LABELS
from ganlab_panel.live import style
from ganlab_panel.sweeps.spec import Cell
from ganlab_panel.ui import plots

#: a run whose final grid JS (bits) is below this converged. Trained well, GAN
#: Lab's 2D runs end near 0.1-0.25 (150 generated samples against 450 real on
#: a 30×30 grid never reach 0); an untrained generator starts near 0.8.
JS_CONVERGED = 0.3

OUTCOMES = ("converged", "collapsed", "diverged")
OUTCOME_COLOURS = {"converged": "#1a9641", "collapsed": "#f39c12", "diverged": "#d7191c", "waiting": "#cccccc"}

#: a run's picture: pixels a side
PICTURE_SIZE = 132


@dataclass(frozen=True)
class Run:
    """A finished cell of a sweep, as the page shows it."""

    cell: Cell
    row: dict
    curve: list            # (iteration, js, kl, d_loss, g_loss) tuples
    real: np.ndarray       # (n, 2) final real samples
    fake: np.ndarray       # (n, 2) final generated samples

    @property
    def key(self) -> str:
        return self.cell.key

    @property
    def outcome(self) -> str:
        return outcome(self.row)


def outcome(row: dict) -> str:
    """A run's outcome from its row of results (see the module docstring)."""
    js = row.get("js")
    if row.get("diverged") or js is None or not math.isfinite(js):
        return "diverged"
    return "converged" if js < JS_CONVERGED else "collapsed"


def value_text(value) -> str:
    """A setting's value as the page writes it: ``0.01``, ``Adam``, ``3``."""
    if isinstance(value, float):
        return f"{value:g}"
    return CHOICE_LABELS.get(value, str(value)) if isinstance(value, str) else str(value)


def cell_label(cell: Cell, seed: bool = True) -> str:
    """``d_lr 0.01 · g_lr 0.1 · seed 0``."""
    return " · ".join([*(f"{k} {value_text(v)}" for k, v in cell.settings), *([f"seed {cell.seed}"] if seed else [])])


def outside(points: np.ndarray) -> float:
    """The share of ``points`` off the unit square (or not numbers)."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    if not len(pts):
        return 0.0
    inside = np.isfinite(pts).all(axis=1) & (pts >= 0).all(axis=1) & (pts <= 1).all(axis=1)
    return float(1 - inside.mean())


def _dots(points: np.ndarray, keep: int) -> str:
    """SVG path data drawing ``points`` (unit square, y up) as round dots on a
    100-wide canvas: one path, each dot a zero-length stroke."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) > keep:
        pts = pts[:: math.ceil(len(pts) / keep)]
    return "".join(f"M{x * 100:.1f} {100 - y * 100:.1f}h0" for x, y in pts)


def run_picture(run: Run | None, cell: Cell, size: int = PICTURE_SIZE) -> str:
    """A cell's small multiple: its final real (green) and generated (purple)
    samples in a square, with its settings and outcome under it (``data-key``
    holds its key; the grid's headers say the seed). ``run`` None: the cell
    still waits for its turn."""
    key = html.escape(cell.key, quote=True)
    label = html.escape(cell_label(cell, seed=False))
    line = "font-size:11px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;line-height:1.35"
    if run is None:
        body = (f'<div style="width:{size}px;height:{size}px;display:flex;align-items:center;'
                f'justify-content:center;color:#999;font-size:12px;background:{style.PLOT_BG}">waiting…</div>')
        verdict = "&nbsp;"
    else:
        off = outside(run.fake)
        note = (f'<text x="50" y="94" font-size="7" text-anchor="middle" fill="{style.FAKE}">'
                f'{off:.0%} generated off the square</text>') if off > 0.2 else ""
        body = (f'<svg width="{size}" height="{size}" viewBox="0 0 100 100" style="background:{style.PLOT_BG};'
                f'display:block"><path d="{_dots(run.real, 225)}" stroke="{style.REAL}" stroke-opacity="0.55" '
                f'stroke-width="2.2" stroke-linecap="round" fill="none"/><path d="{_dots(run.fake, 150)}" '
                f'stroke="{style.FAKE}" stroke-opacity="0.8" stroke-width="2.6" stroke-linecap="round" '
                f'fill="none"/>{note}</svg>')
        js = run.row.get("js")
        js_text = f"JS {js:.2f}" if js is not None and math.isfinite(js) else "JS —"
        verdict = f'<b style="color:{OUTCOME_COLOURS[run.outcome]}">{run.outcome}</b> · {js_text}'
    return (f'<div class="ganlab-sweep-key" data-key="{key}" title="{key}" style="width:{size}px">{body}'
            f'<div style="{line};color:#333;margin-top:3px">{label}</div>'
            f'<div style="{line};color:#555">{verdict}</div></div>')


def final_js(runs: list[Run], axes: dict[str, list]) -> pd.DataFrame:
    """Each combination of the axes' values that has finished runs: the final
    JS's mean over its seeds (diverged runs' JS left out), and how many runs
    each outcome counted. Columns: the axes, ``js``, ``runs``, the outcomes."""
    names = list(axes)
    rows = [{**{n: repr(dict(r.cell.settings)[n]) for n in names}, "js": r.row.get("js"), "outcome": r.outcome}
            for r in runs]
    if not rows:
        return pd.DataFrame(columns=[*names, "js", "runs", *OUTCOMES])
    df = pd.DataFrame(rows)
    df.loc[df["outcome"] == "diverged", "js"] = np.nan
    out = df.groupby(names, sort=False).agg(js=("js", "mean"), runs=("js", "size"))
    counts = pd.crosstab([df[n] for n in names], df["outcome"]).reindex(columns=list(OUTCOMES), fill_value=0)
    return out.join(counts).reset_index()


def phase_diagram(runs: list[Run], axes: dict[str, list], size: int = 340) -> hv.Element:
    """Final JS (mean over seeds) over the sweep's axes: a heatmap over two
    (the first axis down, the second across, as in the grid of runs), a line
    over one. Low JS is green (the runs converged), high red; grey: every seed
    diverged."""
    names = list(axes)
    table = final_js(runs, axes)
    ticks = {n: [(i, value_text(v)) for i, v in enumerate(axes[n])] for n in names}
    place = {n: {repr(v): i for i, v in enumerate(axes[n])} for n in names}
    title = "Final JS, mean over seeds"
    if len(names) == 1:
        name = names[0]
        data = pd.DataFrame({"x": [place[name][v] for v in table[name]], "js": table["js"].astype(float)})
        data = data.sort_values("x")
        opts = {"xticks": ticks[name], "xlabel": name, "ylabel": "final JS (bits)", "ylim": (0, 1),
                "xlim": (-0.5, len(axes[name]) - 0.5), "width": size, "height": int(size * 0.75), "title": title}
        return (hv.Curve(data, "x", "js").opts(color=style.JS_COLOUR, line_width=2, **opts)
                * hv.Scatter(data, "x", "js").opts(color=style.JS_COLOUR, size=8, tools=["hover"], **opts))
    down, across = names[:2]
    data = pd.DataFrame({"x": [place[across][v] for v in table[across]],
                         "y": [place[down][v] for v in table[down]], "js": table["js"].astype(float)})
    boxes = pd.DataFrame({"x0": data.x - 0.5, "y0": data.y - 0.5, "x1": data.x + 0.5, "y1": data.y + 0.5,
                          "js": data.js})
    data["text"] = [f"{v:.2f}" if math.isfinite(v) else "diverged" for v in data.js]
    opts = {"xticks": ticks[across], "yticks": ticks[down], "xlabel": across, "ylabel": down,
            "xlim": (-0.5, len(axes[across]) - 0.5), "ylim": (-0.5, len(axes[down]) - 0.5), "invert_yaxis": True,
            "width": size, "height": int(size * 0.85), "title": title}
    heat = hv.Rectangles(boxes, vdims=["js"]).opts(color="js", cmap="RdYlGn_r", clim=(0, 1), colorbar=True,
                                                   clipping_colors={"NaN": "#bbbbbb"}, line_color="white",
                                                   tools=["hover"], **opts)
    labels = hv.Labels(data, ["x", "y"], "text").opts(text_font_size="11px", text_color="black")
    return (heat * labels).opts(**opts)


def js_curves(runs: list[Run], size: int = 340) -> hv.Overlay:
    """Each run's JS over its iterations, coloured by its outcome (hover names the run)."""
    opts = {"ylim": (0, 1), "xlabel": "iteration", "ylabel": "JS (bits)", **plots.iteration_axis()}
    curves = []
    for run in runs:
        data = pd.DataFrame([(p[0], p[1]) for p in run.curve], columns=["iteration", "js"])
        data["run"] = cell_label(run.cell)
        curves.append(hv.Curve(data, "iteration", ["js", "run"]).opts(
            color=OUTCOME_COLOURS[run.outcome], line_width=1.5, alpha=0.85, tools=["hover"], **opts))
    if not curves:
        curves = [hv.Curve([], "iteration", "js").opts(**opts)]
    return hv.Overlay(curves).opts(width=size, height=int(size * 0.75), show_legend=False,
                                   title="JS over iterations, each run")
