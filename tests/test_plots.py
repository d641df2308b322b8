import dataclasses
from xml.etree import ElementTree

import holoviews as hv
import numpy as np
import pytest

from ganlab_panel import Trainer
from ganlab_panel.files.pictures import layered_image
from ganlab_panel.live import style
from ganlab_panel.live.scene import compute_scene, density_image, rasterize_manifold
from ganlab_panel.ui import plots


@pytest.fixture(scope="module")
def scene():
    tr = Trainer(distribution="ring", seed=0)
    tr.train(100)
    return compute_scene(tr, d_field=True, density=True, size=64)


def test_heatmap_is_d_at_the_right_cells(scene):
    f = scene.frame
    img = plots.d_heatmap(f.d_grid)
    assert isinstance(img, hv.Image)
    assert [d.name for d in img.kdims] == ["x", "y"] and img.vdims[0].name == "D(x)"
    assert img.bounds.lbrt() == (0, 0, 1, 1)
    c = f.grid_centres
    for row, col in [(0, 0), (25, 3), (29, 29)]:
        assert img[c[col], c[row]] == pytest.approx(f.d_grid[row, col])


def test_hidden_and_empty_images_are_transparent():
    assert plots.d_heatmap(None).opts.get().kwargs["visible"] is False
    assert plots.d_heatmap(np.full((3, 3), 0.5)).opts.get().kwargs["visible"] is True
    # the manifold's colour map starts fully transparent, and empty pixels map there
    empty = plots.manifold_image(np.full((4, 4), np.nan))
    assert (empty.dimension_values(2) == 0).all()  # every pixel at the fully transparent end
    assert style.MANIFOLD_CMAP[0].endswith("00") and style.MANIFOLD_CMAP[-1].endswith("ff")


def test_manifold_segments_trace_the_grid(scene):
    m = scene.frame.manifold
    segs = plots.manifold_segments(m)
    assert segs.shape == (2 * 21 * 20, 4)
    ends = np.vstack([segs[:, :2], segs[:, 2:]])
    # every segment end is a manifold point
    d = np.abs(ends[:, None, :] - m.reshape(1, -1, 2)).sum(-1).min(axis=1)
    assert d.max() < 1e-12
    one_d = plots.manifold_segments(np.column_stack([np.linspace(0, 1, 21), np.zeros(21)]))
    assert one_d.shape == (20, 4)
    boxed = plots.manifold_segments(m, box=(10, 20, 110, 220))
    np.testing.assert_allclose(boxed[:, 0], 10 + segs[:, 0] * 100)
    np.testing.assert_allclose(boxed[:, 1], 20 + segs[:, 1] * 200)
    assert plots.manifold_segments(None).shape == (0, 4)


def test_arrows_have_gan_labs_length():
    origins = np.array([[0.5, 0.5], [0.2, 0.3]])
    vectors = np.array([[1.0, 0.0], [0.0, -2.0]])
    segs = plots.arrow_segments(origins, vectors)
    assert segs.shape == (6, 4)
    shafts = segs[:2]
    np.testing.assert_allclose(shafts[:, :2], origins)
    np.testing.assert_allclose(shafts[:, 2:], origins + vectors * 0.15)
    el = plots.gradients(segs)
    assert isinstance(el, hv.Segments) and len(el) == 6
    assert el.opts.get().kwargs["color"] == style.GRADIENT


def test_layered_overlay_keeps_one_structure(scene):
    f = scene.frame
    full = plots.layered_overlay({
        "heatmap": f.d_grid, "d_field": scene.d_field, "density": scene.density,
        "manifold": scene.manifold_raster, "manifold_lines": plots.manifold_segments(f.manifold),
        "real": f.real, "fake": f.fake, "gradients": plots.arrow_segments(f.fake, f.gradients)})
    empty = plots.layered_overlay({})
    kinds = [type(e).__name__ for e in full]
    assert kinds == [type(e).__name__ for e in empty]
    assert kinds == ["Image", "Image", "Image", "Image", "Segments", "Points", "Points", "Points", "Segments"]
    real = [e for e in full if e.group == "Real"][0]
    fake = [e for e in full if e.group == "Fake"][0]
    assert len(real) == 450 and len(fake) == 150
    assert real.opts.get().kwargs["color"] == style.REAL and fake.opts.get().kwargs["color"] == style.FAKE
    assert len([e for e in empty if e.group == "Real"][0]) == 0
    assert [e.group for e in full] == ["Heatmap", "DField", "Density", "Manifold", "ManifoldLines", "Real", "Fake",
                                       "LeftOut", "Gradients"]


def test_thumbnails_sit_inside_their_boxes(scene):
    layers = plots.thumbnail_layers(scene.frame)
    for key in ("noise", "real", "fake"):
        b = plots.BOXES[key]
        pts = layers[key]
        assert len(pts) > 0
        assert ((pts[:, 0] >= b.x0) & (pts[:, 0] <= b.x1) & (pts[:, 1] >= b.y0) & (pts[:, 1] <= b.y1)).all()
    pred = layers["pred"]
    assert len(pred["x"]) == len(pred["score"]) > 0
    assert ((pred["score"] >= 0) & (pred["score"] <= 1)).all()
    # predictions sit in the two prediction boxes, scored by GAN Lab's stretch of D
    in_real = (pred["x"] >= plots.BOXES["pred_real"].x0) & (pred["x"] <= plots.BOXES["pred_real"].x1) & \
        (pred["y"] >= plots.BOXES["pred_real"].y0)
    assert in_real.sum() == len(layers["real"])
    np.testing.assert_allclose(np.sort(pred["score"][in_real]), np.sort(style.sqrt_abs(scene.frame.d_real)[
        ((plots.to_box(scene.frame.real, plots.BOXES["pred_real"]) >= [plots.BOXES["pred_real"].x0,
          plots.BOXES["pred_real"].y0]) & (plots.to_box(scene.frame.real, plots.BOXES["pred_real"]) <=
          [plots.BOXES["pred_real"].x1, plots.BOXES["pred_real"].y1])).all(axis=1)]))


def test_a_generator_without_a_manifold_shows_its_samples_in_its_box(scene):
    assert len(plots.thumbnail_layers(scene.frame)["generator"]) == 0      # 2-D noise: the manifold is drawn
    tr = Trainer(distribution="ring", seed=0, noise_dim=4)
    frame = compute_scene(tr).frame
    tr.close()
    box = plots.BOXES["generator"]
    boxed = plots.to_box(frame.fake, box)
    expected = boxed[(boxed[:, 0] >= box.x0) & (boxed[:, 0] <= box.x1) & (boxed[:, 1] >= box.y0) & (boxed[:, 1] <= box.y1)]
    assert frame.manifold is None and len(expected) > 100
    np.testing.assert_allclose(plots.thumbnail_layers(frame)["generator"], expected)


def test_loss_bars_follow_gan_labs_scale():
    assert plots.loss_bar_width(0.5, "least_squares", "d") == pytest.approx(50.0)   # 2·0.5·50
    assert plots.loss_bar_width(0.7, "log", "d") == pytest.approx(0.7**2 * 50)        # (2·0.7·0.5)²·50
    assert plots.loss_bar_width(0.3, "least_squares", "g") == pytest.approx(30.0)
    assert plots.loss_bar_width(1.0, "log", "g") == pytest.approx(50.0)
    assert plots.loss_bar_width(float("nan"), "log", "g") == 0.0
    assert plots.loss_bar_width(100.0, "log", "g") == 80.0                            # capped to its slot


def test_flow_dots_move_along_the_paths():
    path = [[(0, 0), (100, 0)]]
    a = plots.flow_dots(path, 0.0, spacing=20)
    b = plots.flow_dots(path, 5.0, spacing=20)
    assert (a[:, 1] == 0).all() and (b[:, 1] == 0).all()
    np.testing.assert_allclose(a[:, 0], [0, 20, 40, 60, 80])
    np.testing.assert_allclose(b[:, 0], [5, 25, 45, 65, 85])


def test_overview_overlay_and_static_parts(scene):
    f = scene.frame
    gbox = plots.BOXES["generator"].bounds
    dynamic = plots.overview_overlay({"d_image": f.d_grid, "gen_raster": scene.manifold_raster,
                                      "gen_lines": plots.manifold_segments(f.manifold, box=gbox),
                                      "points": plots.thumbnail_layers(f), "bars": plots.loss_bars(f),
                                      "highlight": (("discriminator",), True)})
    images = [e for e in dynamic if isinstance(e, hv.Image)]
    assert images[0].bounds.lbrt() == plots.BOXES["discriminator"].bounds
    assert images[1].bounds.lbrt() == gbox
    rects = [e for e in dynamic if isinstance(e, hv.Rectangles)]
    assert len(rects[-1]) == 1  # the highlight
    backdrop = ElementTree.fromstring(plots.overview_backdrop())   # what never changes: one SVG
    labels = {t.text for t in backdrop.iter("{http://www.w3.org/2000/svg}text")}
    assert {"Noise", "Generator", "Discriminator", "Discriminator loss", "Generator loss"} <= labels
    rects = [r for r in backdrop.iter("{http://www.w3.org/2000/svg}rect")]
    g = plots.BOXES["generator"]   # the graph's y runs up, the SVG's down: G's outline lands where its plot is
    assert any(float(r.get("x")) == g.x0 and float(r.get("y")) == plots.OVERVIEW_H - g.y1 for r in rects)
    dots = [e for e in dynamic if isinstance(e, hv.Points) and e.group == "Dots"][0]
    f_real = plots.thumbnail_layers(f)["real"]
    assert (dots.dimension_values("color") == style.REAL).sum() == len(f_real) > 0


def test_dense_rasters(scene):
    assert scene.d_field.shape == (64, 64) and np.isfinite(scene.d_field).all()
    assert scene.density.shape == (64, 64) and np.nanmax(scene.density) == pytest.approx(1.0)
    u = np.linspace(0, 1, 21)
    square = np.stack(np.meshgrid(u, u, indexing="ij"), axis=-1)
    raster = rasterize_manifold(square, np.full((20, 20), 0.5), 32)
    assert np.nanmin(raster) == pytest.approx(0.5) and np.isfinite(raster).mean() > 0.95
    half = square * 0.5
    raster = rasterize_manifold(half, np.full((20, 20), 0.7), 32)
    covered = np.isfinite(raster)
    assert 0.2 < covered.mean() < 0.3            # a quarter of the square
    assert covered[:10, :10].all() and not covered[-5:, -5:].any()  # row 0 = bottom
    dens = density_image(np.array([[0.1, 0.1]] * 9 + [[0.9, 0.9]]), 10)
    assert dens[1, 1] == pytest.approx(1.0) and dens[9, 9] == pytest.approx(np.sqrt(1 / 9))


def test_distribution_thumbnail_svg():
    svg = plots.points_svg(np.array([[0.5, 0.5], [2.0, 2.0], [0.1, 0.9]]))
    assert svg.startswith("<svg") and svg.count("<circle") == 2


def test_the_lab_plots_draw_each_layer_with_its_glyph_alone_and_charts_and_a_users_own_plots_keep_bokehs_copies():
    """The layered view and the overview never select, highlight or mute:
    their renderers carry no copies of their glyph for those states (a sixth
    of a page's models). The charts keep their muted copies (a click on their
    legend greys a line out); a plot of the user's own keeps all of Bokeh's."""
    import panel as pn
    from bokeh.document import Document
    from bokeh.models import GlyphRenderer, Legend
    from bokeh.plotting import figure
    from panel.io.state import set_curdoc

    from ganlab_panel.ui.lab import GANLab

    document = Document()
    with set_curdoc(document):
        lab = GANLab.from_url({})
        lab.__panel__().server_doc(document)
    figures = [m for m in document.models if isinstance(m, figure)]
    lab.close()
    def legend(f):
        return any(isinstance(m, Legend) for m in f.references())

    lean = [r for f in figures if not legend(f) for r in f.renderers]
    charted = [r for f in figures if legend(f) for r in f.renderers]
    assert len(lean) >= 15 and len(charted) >= 4
    assert all(isinstance(r, GlyphRenderer) and r.glyph is not None and r.selection_glyph is None
               and r.nonselection_glyph is None and r.muted_glyph is None and r.hover_glyph is None for r in lean)
    assert all(r.muted_glyph not in (None, "auto") and r.nonselection_glyph is None for r in charted)

    own = pn.panel(hv.Points(np.random.default_rng(0).random((10, 2))))
    assert type(own) is pn.pane.HoloViews
    theirs = Document()
    with set_curdoc(theirs):
        own.server_doc(theirs)
    (renderer,) = [m for m in theirs.models if isinstance(m, GlyphRenderer)]
    assert renderer.nonselection_glyph not in (None, "auto") and renderer.muted_glyph not in (None, "auto")


def test_what_jacobian_truncation_leaves_out_is_drawn_hollow_and_left_out_of_the_density(jumper):
    # the jumper's G carries a tenth of its noise across the ring, from x 0.85 to 0.15
    def density_between_the_modes(scene):   # the density layer's pixels from x 0.25 to 0.75
        return np.nan_to_num(scene.density[:, 16:48]).sum()

    def purple_between_the_modes(frame):     # a 200-px picture of the fake samples, x 0.25 to 0.75
        picture = np.asarray(layered_image(frame, size=200, layers=("fake",), caption=False)).astype(int)
        return ((np.minimum(picture[..., 0], picture[..., 2]) - picture[..., 1]) > 40)[:, 50:150].sum()

    off = compute_scene(jumper, density=True, size=64)
    assert density_between_the_modes(off) > 0 and purple_between_the_modes(off.frame) > 0
    assert off.frame.left_out is None
    jumper.config.jacobian_truncation = 0.12
    on = compute_scene(jumper, density=True, size=64)
    assert density_between_the_modes(on) == 0
    # the picture draws the samples left out as hollow dots between the modes, where no kept sample lies
    assert len(on.frame.left_out) == 21
    assert purple_between_the_modes(on.frame) > 0
    assert purple_between_the_modes(dataclasses.replace(on.frame, left_out=None)) == 0
    hollow = plots.left_out(on.frame.left_out)
    assert len(hollow) == 21 and hollow.opts.get().kwargs["fill_color"] is None
