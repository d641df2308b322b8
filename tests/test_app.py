"""The app's objects, without a browser: views, links, data, files, closing."""

import asyncio
import gc
import io
import json
import weakref
import zipfile

import holoviews as hv
import numpy as np
import panel as pn
import pytest
from bokeh.document import Document

from ganlab_panel import ExperimentConfig, GANLab, Trainer
from ganlab_panel.engine.checkpoint import checkpoint_bytes
from ganlab_panel.files.ganlab_format import ganlab_model_files
from ganlab_panel.ui import plots
from ganlab_panel.ui.pretrained import pretrained_path
from ganlab_panel.ui.views.controls import format_iteration
from ganlab_panel.ui.views.menus import hook


def shown(lab, group):
    """The (x, y) points a layer of the layered view shows in its rendered plot."""
    cols = lab.layered.displayed(group)
    return np.column_stack([cols["x"], cols["y"]]) if cols else np.empty((0, 2))


def test_views_show_the_trainer(lab):
    f = lab.trainer.snapshot()
    np.testing.assert_allclose(shown(lab, "Real"), f.real, atol=1e-6)
    np.testing.assert_allclose(shown(lab, "Fake"), f.fake, atol=1e-6)
    assert "000,000" in lab.controls.iteration.object
    assert lab.charts.history["iteration"].tolist() == [0.0]


def test_switching_a_layer_off_empties_it(lab):
    lab.layered.real = False
    assert len(shown(lab, "Real")) == 0
    lab.layered.real = True
    assert len(shown(lab, "Real")) == 450


def test_training_from_code_and_refresh(lab):
    lab.trainer.train(12)
    lab.refresh()
    assert "000,012" in lab.controls.iteration.object
    # the rendered plot follows (written straight into its data source)
    np.testing.assert_allclose(shown(lab, "Fake"), lab.trainer.snapshot().fake, atol=1e-6)
    assert lab.charts.history["iteration"].tolist() == [0.0, 12.0]


def test_hot_widgets_keep_the_experiment_and_structural_ones_rebuild(lab):
    lab.trainer.train(5)
    selects = {cls: w for group in lab.overview.widgets for w in group.select(pn.widgets.Widget)
               for cls in w.css_classes}
    selects["ganlab-d-lr"].value = 0.03
    assert lab.config.d_lr == 0.03 and lab.trainer.iteration == 5
    assert lab.trainer.d_optimizer.param_groups[0]["lr"] == 0.03
    lab.config.g_lr = 0.3
    assert selects["ganlab-g-lr"].value == 0.3
    selects["ganlab-g-neurons"].value = 5
    assert lab.trainer.iteration == 0 and lab.trainer.generator.weights[0].shape == (2, 5)
    lab.overview.edit_mode = True
    assert all(g.visible for g in lab.overview.widgets)


def test_choosing_data_and_the_pretrained_toggle(lab):
    lab.choose_distribution("line")
    assert lab.config.distribution == "line"
    assert lab.controls.distributions[0].color == "primary"
    if pretrained_path("disjoint") is not None:
        lab.use_pretrained = True
        lab.choose_distribution("disjoint")
        assert lab.config.distribution == "disjoint" and lab.trainer.iteration > 0
        assert "pretrained" in lab.message


def test_drawing_nothing_is_refused_and_drawn_points_are_used(lab):
    # the drawing plot's edit stream answers through the event loop, as on a server
    async def scenario():
        lab.trainer.train(3)
        lab.start_drawing()
        assert lab.drawing
        assert not lab.finish_drawing(lab.drawing_view.points())
        assert lab.message_level == "warning" and "Nothing was drawn" in lab.message
        assert lab.config.distribution == "ring" and lab.trainer.iteration == 3
        lab.drawing_view.add_points([[0.2, 0.2], [0.25, 0.3], [0.3, 0.4]])
        lab.drawing_view.freehand.event(data={"xs": [[0.6, 0.8]], "ys": [[0.8, 0.8]]})
        pts = lab.drawing_view.points()
        assert len(pts) > 3  # taps plus the resampled stroke
        assert lab.finish_drawing(pts)
        assert not lab.drawing and lab.config.distribution == "drawing"
        real = lab.trainer.real_atlas
        dist = np.abs(real[:, None, :] - pts[None]).sum(-1).min(axis=1)
        assert np.median(dist) < 0.05

    asyncio.run(scenario())


def test_uploads_load_models_and_points_and_refuse_junk(lab):
    other = Trainer(distribution="disjoint", seed=3, g_neurons=6)
    other.train(40)
    lab.trainer.train(7)
    assert not lab.load_files({"junk.pt": b"\x00not a model"})
    assert lab.message_level == "warning" and lab.trainer.iteration == 7 and lab.config.distribution == "ring"
    assert lab.load_files({"model.npz": checkpoint_bytes(other)})
    assert lab.config.distribution == "disjoint" and lab.trainer.iteration == 40 and lab.config.g_neurons == 6
    noise = np.random.default_rng(0).random((5, 2))
    np.testing.assert_array_equal(lab.trainer.generate(noise), other.generate(noise))
    files = ganlab_model_files(other, "m")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    lab.trainer.train(1)
    assert lab.load_files({"m.zip": buf.getvalue()})
    assert lab.trainer.iteration == 40
    assert not lab.load_files({"m.json": files["m.json"]})  # its weights file is missing
    assert "m.weights.bin" in lab.message
    assert lab.load_files({"pts.csv": b"x,y\n0.1,0.1\n0.9,0.9\n"})
    assert lab.config.distribution == "drawing" and len(lab.config.drawn_points) == 2
    assert not lab.load_files({"bad.csv": b"1,2,3\n"})
    assert len(lab.config.drawn_points) == 2


def test_downloads(lab):

    lab.trainer.train(4)
    assert Trainer.load(lab.download("checkpoint").getvalue()).iteration == 4
    with zipfile.ZipFile(lab.download("ganlab", stem="ganlab_trained_model")) as zf:
        names = sorted(zf.namelist())
        doc = json.loads(zf.read("ganlab_trained_model.json"))
    assert names == ["ganlab_trained_model.json", "ganlab_trained_model.weights.bin"]
    assert doc["modelTopology"]["shape_name"] == "ring" and doc["modelTopology"]["iter_count"] == 4


def test_data_from_python():
    t = np.linspace(0, 1, 50)
    lab = GANLab(data=np.column_stack([t, t]))
    try:
        assert lab.config.distribution == "drawing" and len(lab.config.drawn_points) == 50
    finally:
        lab.close()


def test_close_releases_the_trainer():
    lab = GANLab(use_pretrained=False)
    pn.panel(lab).get_root(Document())
    ref = weakref.ref(lab.trainer)
    lab.close()
    gc.collect()
    assert ref() is None


def test_iteration_format_is_gan_labs():
    assert format_iteration(0) == "000,000"
    assert format_iteration(5080) == "005,080"
    assert format_iteration(1234567) == "1,234,567"


def _hooks(root) -> set[str]:
    return {c for model in root.references() for c in (getattr(model, "css_classes", None) or [])}


#: what a page holds from the start, and what joins it on first use (a part
#: not on screen costs no models until then): how a user first uses it -> its hooks
ON_OPEN = {"ganlab-play", "ganlab-reset", "ganlab-step-d", "ganlab-step-g", "ganlab-step", "ganlab-slow",
           "ganlab-draw", "ganlab-layered", "ganlab-overview", "ganlab-distribution-line",
           "ganlab-distribution-gaussians", "ganlab-distribution-ring", "ganlab-distribution-disjoint",
           "ganlab-more-data", "ganlab-settings", "ganlab-files", "ganlab-timeline", "ganlab-resume"}
ON_FIRST_USE = {
    "the drawing canvas": (lambda lab: lab.start_drawing(),
                           {"ganlab-drawing", "ganlab-draw-done", "ganlab-draw-clear", "ganlab-draw-cancel"}),
    "the files menu": (lambda lab: lab.controls.toggle_files_menu(),
                       {"ganlab-save", "ganlab-save-pt2", "ganlab-export-png", "ganlab-export-gif",
                        "ganlab-export-config", "ganlab-upload"}),
    "more settings": (lambda lab: lab.settings.card.param.update(collapsed=False),
                      {"ganlab-preset", "ganlab-batch-size", "ganlab-atlas-size", "ganlab-seed",
                       "ganlab-lr-half-life", "ganlab-lr-decay-start", "ganlab-gp-weight", "ganlab-r1-gamma",
                       "ganlab-d-spectral-norm", "ganlab-adam-beta1", "ganlab-d-pack", "ganlab-g-ema",
                       "ganlab-jacobian-truncation"}),
    "a mixture's mode chart": (lambda lab: lab.choose_distribution("ring8"), {"ganlab-modes-chart"}),
}


def test_every_control_has_its_hook_and_hidden_parts_join_on_first_use(lab):
    root = pn.panel(lab).get_root(Document())
    assert ON_OPEN <= _hooks(root)
    editor = {hook(name) for name in ("g_layers", "d_optimizer", "loss")}   # the model editor's menus

    async def use_each_part():   # as on a server: the plots update on its event loop
        for use, (first_use, hooks) in [*ON_FIRST_USE.items(),
                                        ("the model editor", (lambda lab: lab.overview.param.update(edit_mode=True),
                                                              editor))]:
            assert not hooks & _hooks(root), f"{use} is built before it is used"
            first_use(lab)
            assert hooks <= _hooks(root), use

    asyncio.run(use_each_part())
    html = " ".join(str(getattr(m, "text", "")) for m in root.references())
    for cls in ("ganlab-iteration", "ganlab-d-loss", "ganlab-g-loss", "ganlab-message", "ganlab-timeline-label"):
        assert f"class=&quot;{cls}&quot;" in html, cls


def test_generator_animation_morphs_the_noise_grid_into_the_manifold(lab):
    from ganlab_panel.engine.frames import manifold_noise

    frames = lab.overview.generator_animation_frames(steps=5)
    assert len(frames) == 5
    np.testing.assert_allclose(frames[0][0].reshape(-1, 2), manifold_noise(2))
    np.testing.assert_allclose(frames[-1][0], lab.trainer.snapshot().manifold, atol=1e-6)
    assert all(raster is not None and raster.shape == (150, 150) for _, raster in frames)


def test_overview_animates_while_playing_and_highlights_sub_steps(lab):
    from ganlab_panel.ui.runner import SLOW_STEPS

    ov = lab.overview
    ov.set_flow(True)
    assert len(ov.shown["flow"]) > 20 and len(ov.shown["flow_d"]) > 5 and len(ov.shown["flow_g"]) > 5
    ov.set_flow(False)
    assert ov.shown["flow"] is None and not ov.tooltip.visible
    ov.set_flow(True, SLOW_STEPS[2])
    assert ov.shown["highlight"] == (("d_loss",), True)
    assert ov.shown["flow_d"] is not None and ov.shown["flow_g"] is None  # only D's half lights up
    assert ov.tooltip.visible and "loss" in ov.tooltip.object and 'data-step="3"' in ov.tooltip.object
    drawn = plots.overview_overlay(ov.pipe.data)
    highlight = [e for e in drawn if isinstance(e, hv.Rectangles)][-1]
    assert len(highlight) == 1


def test_charts_start_over_on_reset_and_every_curve_keeps_its_own_columns(lab):
    def curves():   # the charts shown (the ring is no mixture: no modes chart)
        return [{k: len(v) for k, v in curve.items()} for curve in lab.charts.drawn_curves()]

    for _ in range(3):
        lab.trainer.train(2)
        lab.refresh()
    assert len(curves()) == 4 and all(set(c.values()) == {4} for c in curves())
    lab.charts.reset()
    assert all(set(c.values()) == {0} for c in curves())  # the loss and the KL/JS charts alike
    for _ in range(5):  # streaming into emptied curves (BokehUserWarning would fail this test)
        lab.trainer.train(2)
        lab.refresh()
    assert all(set(c.values()) == {5} for c in curves())
    assert len(lab.charts.history) == 5


def test_closing_while_playing_touches_no_view():
    lab = GANLab(ExperimentConfig(distribution="ring"), use_pretrained=False)
    pn.panel(lab).get_root(Document())
    lab.runner.playing = True  # as if the tab closed mid-play
    sent = []
    lab.overview.set_flow = lambda *a, **k: sent.append(a)
    lab.layered.update = lambda scene: sent.append(scene)   # every frame published goes here
    lab.close()
    assert not lab.runner.playing and sent == []


def test_a_critic_loss_changes_what_the_heatmap_and_legend_say(lab):
    legend = lambda: lab.layered.legend.object  # noqa: E731
    assert 'data-output="probability"' in legend()
    lab.config.param.update(loss="wgan_gp", d_optimizer="adam", d_lr=0.01)   # mid-session, hot
    lab.trainer.train(40)
    lab.refresh()
    f = lab.trainer.snapshot()
    assert 'data-output="critic"' in legend() and "score" in legend()
    heat = lab.layered.displayed("Heatmap")["image"]
    assert 0 <= heat.min() and heat.max() <= 1                   # colours span the critic's scores
    np.testing.assert_allclose(np.asarray(heat).reshape(f.d_grid.shape), f.d_shown(f.d_grid), atol=1e-6)
    lab.config.loss = "log"
    lab.refresh()
    assert 'data-output="probability"' in legend()


def test_more_data_menu_trains_on_a_benchmark_and_charts_its_modes(lab):
    assert not lab.charts.modes.visible
    lab.controls.more_data.value = "ring8"
    assert lab.config.distribution == "ring8" and "mode-collapse benchmark" in lab.message
    assert lab.charts.modes.visible
    for _ in range(3):
        lab.trainer.train(20)
        lab.refresh()
    f = lab.trainer.snapshot()
    assert f"{f.modes}/8" in lab.charts.values.object and "high quality" in lab.charts.values.object
    assert f'ganlab-mode-balance">{f.mode_balance:.3f}<' in lab.charts.values.object
    assert 0 <= f.mode_balance <= np.log(8) + 1e-9
    hq = lab.charts.history["hq_pct"].dropna()
    assert len(hq) >= 3 and hq.iloc[-1] == pytest.approx(100 * f.high_quality)
    assert "left out" not in lab.charts.values.object
    assert len(lab.layered.displayed("LeftOut").get("x", [])) == 0 and "left out" not in lab.layered.legend.object
    # Jacobian-based truncation from the settings card: the Monitor says what it leaves out
    lab.settings.widgets["jacobian_truncation"].value = 0.05
    lab.refresh()
    assert lab.config.jacobian_truncation == 0.05 and lab.trainer.iteration == 60    # hot: the run goes on
    assert "(5 % left out)" in lab.charts.values.object
    assert f"{100 * lab.trainer.mode_metrics()[1]:.1f} %" in lab.charts.values.object
    # ...and the layered view draws the 8 fake samples it left out of 158 (150 / 0.95) as hollow dots
    left_out = lab.layered.displayed("LeftOut")
    assert len(left_out["x"]) == 8 and len(lab.layered.displayed("Fake")["x"]) == 150
    np.testing.assert_allclose(np.column_stack([left_out["x"], left_out["y"]]), lab.trainer.snapshot().left_out)
    assert "the 5 % that the generator stretches most" in lab.layered.legend.object
    # a GAN Lab shape: the menu goes back to its prompt, the modes chart away
    lab.choose_distribution("gaussians")
    assert lab.controls.more_data.value == "" and not lab.charts.modes.visible


def test_presets_apply_from_the_settings_card_and_let_go_when_edited(lab):
    card = lab.settings
    assert card.preset.value == "ganlab"
    card.preset.value = "hinge-sn"
    assert lab.config.loss == "hinge" and lab.config.d_spectral_norm and lab.config.distribution == "ring"
    assert "Hinge loss" in lab.message and "spectral" in card.preset_text.object
    card.widgets["batch_size"].value = 64
    assert lab.config.batch_size == 64 and card.preset.value == ""   # custom now
    lab.config.lr_half_life = 500
    assert card.widgets["lr_half_life"].value == 500                 # linked both ways
    card.widgets["atlas_size"].value = 50_000                       # a rebuild with more distinct samples
    assert lab.config.atlas_size == 50_000 and lab.trainer.real_atlas.shape == (50_000, 2)


def test_noise_beyond_two_dimensions_says_why_there_is_no_manifold(lab):
    def dots_in_generator_box():
        box = plots.BOXES["generator"]
        dots = lab.overview.columns(lab.overview.shown)["Dots"]
        return int(((dots["x"] >= box.x0) & (dots["x"] <= box.x1) & (dots["y"] >= box.y0) & (dots["y"] <= box.y1)).sum())

    lab.refresh()
    assert dots_in_generator_box() == 0 and not lab.overview.animate_button.disabled   # 2-D: the manifold
    lab.config.noise_dim = 5
    lab.refresh()
    assert "ganlab-manifold-note" in lab.layered.legend.object and "5-D noise" in lab.layered.legend.object
    assert not len(lab.layered.displayed("ManifoldLines").get("x0", []))
    # the overview's generator shows where it sends the noise, and offers no morph to play
    assert dots_in_generator_box() > 100 and lab.overview.animate_button.disabled


def test_a_hot_change_while_paused_shows_at_once(lab):
    lab.train(100)
    assert 'data-output="probability"' in lab.layered.legend.object
    lab.config.loss = "hinge"                       # from code, or a widget: nothing plays
    assert 'data-output="critic"' in lab.layered.legend.object
    assert lab.trainer.iteration == 100             # hot: the weights stay


def test_clear_empties_the_drawing_and_empty_done_is_refused(lab):
    async def scenario():
        lab.start_drawing()
        lab.drawing_view.freehand.event(data={"xs": [[0.2, 0.8]], "ys": [[0.5, 0.5]]})
        lab.drawing_view.add_points([[0.3, 0.3]])
        assert len(lab.drawing_view.points()) > 10
        lab.drawing_view.clear_button.clicks += 1                # Clear
        assert len(lab.drawing_view.points()) == 0
        lab.drawing_view.done_button.clicks += 1                 # Done, with nothing drawn
        assert lab.drawing and "Nothing was drawn" in lab.message
        assert lab.config.distribution == "ring"

    asyncio.run(scenario())


def test_a_refused_download_gives_nothing_and_says_why(lab):
    lab.config.loss = "wgan_gp"
    assert lab.download("ganlab", stem="ganlab_trained_model") is None
    assert lab.message_level == "warning" and "Cannot export" in lab.message
    assert lab.controls.save_ganlab.callback() is None            # the button's own callback: no file


def test_notices_go_when_training_starts_and_problems_stay(lab):
    lab.notify("Loaded something; press Play.", "success")
    lab.train(5)
    assert lab.message == ""
    lab.notify("Cannot load x.csv: no points.", "warning")
    lab.train(5)
    assert lab.message.startswith("Cannot load")                 # a problem stays until dismissed...
    lab.notify("")
    assert lab.message == ""


def test_a_step_says_what_it_trained(lab):
    async def scenario():
        await lab.step_d()
        assert lab.trainer.iteration == 1 and "discriminator alone" in lab.message
        await lab.step()
        assert lab.message == ""                                 # a whole iteration needs no word

    asyncio.run(scenario())


def test_ticking_pretrained_loads_the_model_unless_it_would_replace_training():
    lab = GANLab(ExperimentConfig(distribution="ring"), use_pretrained=False)
    try:
        assert lab.trainer.iteration == 0
        lab.use_pretrained = True                                 # untrained: the model loads at once
        assert lab.trainer.iteration > 0 and "pretrained on ring" in lab.message
        lab.use_pretrained = False
        lab.trainer.reset()
        lab.train(20)
        lab.use_pretrained = True                                 # trained: kept, and said how to load
        assert lab.trainer.iteration == 20 and "choose ring again" in lab.message
    finally:
        lab.close()
