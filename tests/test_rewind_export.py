"""The app's record, timeline and exports, from Python (GANLab's API) and its objects."""

import io
import json
import re
import subprocess
import sys
import zipfile

import numpy as np
import param
import pytest
import torch
from PIL import Image

from ganlab_panel import ExperimentConfig, GANLab, Trainer
from ganlab_panel.engine.backends import compiled as kernels
from ganlab_panel.engine.errors import GANLabError
from ganlab_panel.files import pictures as render
from ganlab_panel.files.export import GIF_MAX_FRAMES, GIF_SIZE, PNG_SIZE
from ganlab_panel.files.ganlab_format import load_ganlab_model
from ganlab_panel.live import style
from ganlab_panel.ui import plots


def test_train_records_a_moment_every_fifty_iterations_and_draws_the_last(lab):
    frame = lab.train(500)
    assert frame.iteration == 500 == lab.trainer.iteration
    assert [f.iteration for f in lab.frames] == [0, *range(50, 501, 50)]   # from the start
    assert "000,500" in lab.controls.iteration.object
    assert lab.charts.history["iteration"].iloc[-1] == 500
    assert "11 moments" in lab.timeline.label.object


def test_rewinding_shows_that_moment_everywhere_and_resuming_drops_what_came_after(lab):
    lab.train(500)
    chart_points = len(lab.charts.history)
    target = lab.frames[3]
    shown = lab.rewind(3)
    assert lab.trainer.iteration == target.iteration == shown.iteration
    np.testing.assert_array_equal(shown.fake, target.fake)
    np.testing.assert_array_equal(lab.layered.displayed("Fake")["x"], target.fake[:, 0].astype(np.float32))
    assert len(lab.charts.history) == chart_points     # the charts keep the whole run...
    marks = lab.charts.marks()
    assert marks and all(at == target.iteration for at in marks)   # ...marking the moment shown
    assert lab.timeline.resume.visible and lab.timeline.slider.value == 3
    assert f"{target.iteration:,}" in lab.timeline.label.object
    lab.train(100)                                      # resume from there
    assert lab.trainer.iteration == target.iteration + 100
    assert [f.iteration for f in lab.frames][-3:] == [target.iteration, target.iteration + 50,
                                                      target.iteration + 100]
    assert lab.charts.history["iteration"].max() == target.iteration + 100
    assert not lab.timeline.resume.visible
    assert "Resumed from iteration" in lab.message


def drag_timeline(lab, index):
    """What the browser reports when the user lets go of the timeline's handle."""
    with param.edit_constant(lab.timeline.slider):
        lab.timeline.slider.param.update(value=index, value_throttled=index)


def test_the_timeline_slider_rewinds_and_play_resumes(lab):
    lab.train(300)
    drag_timeline(lab, 1)
    assert lab.history.rewound and lab.trainer.iteration == lab.frames[1].iteration
    lab.runner.play()                                   # Play from a rewound moment resumes there
    lab.runner.pause()
    assert not lab.history.rewound
    assert lab.frames[1].iteration < lab.trainer.iteration
    assert lab.frames[-1].iteration == lab.trainer.iteration   # pausing keeps where training stands


def test_an_echo_of_an_old_slider_position_never_moves_the_experiment(lab):
    # a notebook echoes every value the slider was given, late; a browser may
    # also clamp a value that arrives before its range
    lab.train(300)
    lab.runner.play()
    lab.timeline.slider.value = 1
    lab.runner.pause()
    lab.timeline.slider.value = 2
    assert not lab.history.rewound
    assert lab.frames[-1].iteration == lab.trainer.iteration > 300
    assert f"up to iteration {lab.trainer.iteration:,}" in lab.timeline.label.object


def test_rewind_refuses_what_is_not_recorded():
    lab = GANLab(use_pretrained=False)
    try:
        assert lab.rewind(0).iteration == 0          # the record starts with the experiment
        with pytest.raises(IndexError):
            lab.rewind(1)
        lab.train(100)
        with pytest.raises(IndexError):
            lab.rewind(99)
        lab.history.clear()
        with pytest.raises(GANLabError, match="train first"):
            lab.rewind(0)
    finally:
        lab.close()


def test_a_new_experiment_starts_a_new_record(lab):
    lab.train(200)
    lab.config.d_neurons = 6                            # structural: rebuilt
    assert [f.iteration for f in lab.frames] == [0] and lab.charts.history["iteration"].tolist() == [0]
    lab.train(100)
    assert [f.iteration for f in lab.frames] == [0, 50, 100]


def test_exports_from_python(lab, tmp_path):
    lab.train(400)
    png, = lab.export(tmp_path / "now.png")
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size == (PNG_SIZE, PNG_SIZE + render.CAPTION_HEIGHT)
    gif, = lab.export(tmp_path / "run.gif")
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == len(lab.frames) \
            and im.size == (GIF_SIZE, GIF_SIZE + render.CAPTION_HEIGHT)
    cfg, = lab.export(tmp_path / "settings.json")
    assert ExperimentConfig.from_json(cfg.read_text()).to_dict() == lab.config.to_dict()
    pt, = lab.export(tmp_path / "model.npz")
    assert Trainer.load(pt).iteration == 400
    pair = lab.export(tmp_path / "ganlab_model.json", kind="ganlab")
    assert sorted(p.name for p in pair) == ["ganlab_model.json", "ganlab_model.weights.bin"]
    assert load_ganlab_model(tmp_path / "ganlab_model.json").iteration == 400
    zipped, = lab.export(tmp_path / "model.zip")
    with zipfile.ZipFile(zipped) as zf:
        assert sorted(zf.namelist()) == ["model.json", "model.weights.bin"]
    with pytest.raises(GANLabError, match="cannot tell"):
        lab.export(tmp_path / "model.txt")


def probe_film(path) -> tuple[str, int, tuple[int, int]]:
    """A film's video codec, frame count and size, as the bundled ffmpeg reads them."""
    import imageio_ffmpeg

    described = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                               capture_output=True, text=True).stderr
    video = next(line for line in described.splitlines() if "Video:" in line)
    codec = video.split("Video:")[1].split()[0]
    width, height = (int(v) for v in re.search(r" (\d{2,})x(\d{2,})[ ,]", video).groups())
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    return codec, frames, (width, height)


def test_an_mp4_film_is_h264_with_a_frame_per_moment_at_the_pictures_size(lab, tmp_path):
    lab.train(600)
    film, = lab.export(tmp_path / "run.mp4")
    assert probe_film(film) == ("h264", len(lab.frames), (PNG_SIZE, PNG_SIZE + render.CAPTION_HEIGHT))
    # the app's film is the same, made off the event loop where there is one (here, on the spot)
    lab.make_film()
    assert lab.film.size > 0 and lab.controls.film_download.visible
    assert "film is ready" in lab.message
    (tmp_path / "app.mp4").write_bytes(lab.film.data().read())
    assert probe_film(tmp_path / "app.mp4")[:2] == ("h264", len(lab.frames))


def test_a_film_needs_a_record():
    fresh = GANLab(ExperimentConfig(distribution="line"), use_pretrained=False)
    try:
        fresh.make_film()
        assert "nothing to animate" in fresh.message and fresh.film.size == 0
        assert not fresh.controls.film_download.visible
        with pytest.raises(GANLabError, match="nothing to animate"):
            fresh.export("run.mp4")
    finally:
        fresh.close()


def test_a_picture_shows_the_layers_that_are_on(lab):
    lab.train(50)
    lab.layered.heatmap = False
    lab.layered.fake = False
    lab.layered.gradients = False
    img = np.asarray(Image.open(lab.download("png")).convert("RGB")).astype(int)[:PNG_SIZE]
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    green = (g - np.maximum(r, b)) > 50                # real dots
    purple = (np.minimum(r, b) - g > 40) & (g < 120)   # fake dots or a dense manifold
    assert green.sum() > 200
    # where the real samples are, in image coordinates (y down)
    real = lab.frames[-1].real
    ys, xs = np.nonzero(green)
    assert abs(xs.mean() / PNG_SIZE - real[:, 0].mean()) < 0.05 \
        and abs(1 - ys.mean() / PNG_SIZE - real[:, 1].mean()) < 0.05
    heat_off = purple.sum()
    lab.layered.heatmap = True
    with_heat = np.asarray(Image.open(lab.download("png")).convert("RGB")).astype(int)[:PNG_SIZE]
    assert np.abs(with_heat - img).sum() > 0 and heat_off >= 0


@pytest.mark.subprocess
def test_a_film_of_a_long_run_has_at_most_its_frame_limit(lab):
    lab.history.max_moments = 1000
    lab.train(GIF_MAX_FRAMES * 60, record_every=50)
    assert len(lab.frames) > GIF_MAX_FRAMES
    with Image.open(lab.download("gif")) as im:
        assert im.n_frames == GIF_MAX_FRAMES


def test_downloads_say_what_is_missing(lab):
    assert lab.download("gif") is None                       # nothing downloads...
    assert "nothing to animate yet" in lab.message          # ...and the message says why
    settings = json.loads(lab.download("config").getvalue())
    assert settings["distribution"] == "ring" and settings["seed"] == 0


def test_settings_travel_as_url_text():
    cfg = ExperimentConfig(distribution="ring", d_lr=0.03, d_spectral_norm=True, g_neurons=12)
    query = cfg.to_query()
    assert query == {"distribution": "ring", "d_lr": "0.03", "d_spectral_norm": "true", "g_neurons": "12"}
    lab = GANLab.from_url(query)
    try:
        assert lab.config.to_query() == query
    finally:
        lab.close()
    drawn = ExperimentConfig(distribution="drawing", drawn_points=np.full((3, 2), 0.5))
    assert drawn.to_query() == {}                      # a drawing cannot travel in an address


@pytest.mark.subprocess
def test_cli_exports_a_film_and_a_picture(tmp_path):
    kernels.warm_up(wait=True)
    out = subprocess.run([sys.executable, "-m", "ganlab_panel.cli", "train", "--distribution", "ring",
                          "--iterations", "600", "--seed", "1", "--out", str(tmp_path), "--quiet",
                          "--export", "gif", "--export", "png", "--export", "ganlab", "--export", "screen",
                          "--export", "pt2"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    with Image.open(tmp_path / "training.gif") as im:
        assert im.n_frames >= 50 and im.size[0] == GIF_SIZE    # (the MP4 film: test_an_mp4_film_...)
    with Image.open(tmp_path / "final.png") as im:
        assert im.size == (PNG_SIZE, PNG_SIZE + render.CAPTION_HEIGHT)
    with Image.open(tmp_path / "screen.png") as im:
        assert im.width > 1600
    assert load_ganlab_model(tmp_path / "ganlab_model.json").iteration == 600
    trained = Trainer.load(tmp_path / "checkpoint.npz")
    noise = np.random.default_rng(0).random((100, 2))
    G = torch.export.load(tmp_path / "model_generator.pt2").module()
    np.testing.assert_allclose(G(torch.from_numpy(noise).float()).numpy(), trained.generate(noise), atol=1e-6)
    assert "training.gif" in out.stdout and "model_discriminator.pt2" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "ganlab_panel.cli", "train", "--distribution", "ring8",
                          "--iterations", "10", "--out", str(tmp_path / "b"), "--quiet", "--export", "ganlab"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "GAN Lab's format has no distribution" in bad.stderr
    assert (tmp_path / "b" / "checkpoint.npz").exists()     # the run itself is kept


def test_download_buffers_are_readable_images(lab):
    lab.train(100)
    assert Image.open(io.BytesIO(lab.download("png").getvalue())).format == "PNG"
    with Image.open(lab.download("png2x")) as im:            # twice the size, for slides
        assert im.size == (2 * PNG_SIZE, 2 * PNG_SIZE + render.CAPTION_HEIGHT)
    with Image.open(lab.download("screen")) as im:           # the graph, the layered view, the charts
        assert im.format == "PNG" and im.width > 1600 and im.height > 500
        pixels = np.asarray(im.convert("RGB")).astype(int)
        graph = pixels[:, :plots.OVERVIEW_W]
        purple = (abs(graph - np.array(style.hex_to_rgb(style.G_PURPLE))).sum(-1) < 30).sum()
        assert purple > 400                                  # the generator's frame and G's loss bar
    assert Image.open(io.BytesIO(lab.download("gif").getvalue())).format == "GIF"
