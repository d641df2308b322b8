"""Bad input never breaks the app or loses the experiment; divergence is caught.

Each case goes through the Python API (a ValueError subclass naming the
problem) and through the app's own entry points (a message in the message
area, and the previous experiment still there, weights and all).
"""

import asyncio
import base64
import io
import json
import zipfile

import numpy as np
import panel as pn
import pytest
from bokeh.document import Document
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab_panel import ExperimentConfig, GANLab, Trainer
from ganlab_panel.engine.checkpoint import checkpoint_bytes, encode_state
from ganlab_panel.engine.config import TEXT_SETTINGS, parse_setting, parse_settings
from ganlab_panel.engine.data import MAX_USER_POINTS, parse_points_csv, validate_points
from ganlab_panel.engine.errors import ConfigError, DataError, GANLabError, ModelFileError
from ganlab_panel.files.ganlab_format import ganlab_model_files
from ganlab_panel.ui.lab import INTRO
from ganlab_panel.ui.views.upload import MAX_UPLOAD_BYTES, UploadBox

#: SGD at the largest learning rate on the largest nets: NaN within a few dozen iterations
DIVERGING = dict(d_lr=10.0, g_lr=10.0, d_layers=5, d_neurons=100, g_layers=5, g_neurons=100)


@pytest.fixture
def lab(lab):
    """The shared ring app, trained a little."""
    lab.trainer.train(9)
    return lab


def state_of(lab):
    """Everything a bad input must leave alone."""
    return (lab.config.to_dict(), lab.trainer.iteration,
            [p.copy() for p in lab.trainer.generator.ordered_parameters()],
            [p.copy() for p in lab.trainer.discriminator.ordered_parameters()])


def assert_intact(lab, before):
    config, iteration, g, d = state_of(lab)
    assert config == before[0] and iteration == before[1]
    for a, b in zip(g + d, before[2] + before[3]):
        assert np.array_equal(a, b)
    # and the session still works
    lab.trainer.train(1)
    assert lab.trainer.iteration == before[1] + 1 and not lab.trainer.diverged


# --------------------------------------------------------------- drawings
@pytest.mark.parametrize("points, words", [
    (np.empty((0, 2)), "Nothing was drawn"),
    (np.random.default_rng(0).random((MAX_USER_POINTS * 10, 2)), "too many points"),
    (np.array([[0.5, 0.5], [3.0, -2.0]]), "outside the plot"),
    (np.array([[0.5, np.nan], [0.2, 0.2]]), "NaN or infinite"),
    (np.array([[0.5, np.inf]]), "NaN or infinite"),
])
def test_bad_drawings_are_refused_with_a_message(refusing_lab, points, words):
    lab = refusing_lab
    before = state_of(lab)
    assert not lab.finish_drawing(points)
    assert lab.message_level == "warning" and words in lab.message
    assert_intact(lab, before)
    if len(points):
        with pytest.raises(DataError, match=words.split()[0]):
            validate_points(points)


def test_a_single_drawn_point_trains_and_says_what_it_means(lab):
    assert lab.finish_drawing([[0.3, 0.6]])
    assert lab.config.distribution == "drawing" and len(lab.config.drawn_points) == 1
    assert "1 point" in lab.message and "blob" in lab.message
    lab.trainer.train(5)
    assert not lab.trainer.diverged


def test_a_million_points_from_python_are_refused():
    with pytest.raises(DataError, match="too many points"):
        GANLab(data=np.random.default_rng(0).random((1_000_000, 2)))
    with pytest.raises(ConfigError, match="drawn_points"):
        ExperimentConfig.from_dict({"distribution": "drawing", "drawn_points": [[0.1, float("nan")]]})


# --------------------------------------------------------------- CSV uploads
@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (b"x,y\n0.1,0.2,0.3\n", "has 3 values"),
    (b"hello world\nfoo bar\n", "not two numbers"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"0.1,nan\n0.2,0.3\n", "NaN or infinite"),
    (b"x,y\n", "no points"),
    (b"0.1,0.2\n__import__('os').system('exit'),1\n", "line 2 is not two numbers"),
])
def test_bad_csv_uploads_are_refused_with_a_message(refusing_lab, content, words):
    lab = refusing_lab
    before = state_of(lab)
    assert not lab.load_files({"points.csv": content})
    assert lab.message_level == "warning" and words in lab.message and "points.csv" in lab.message
    assert_intact(lab, before)


def test_oversized_uploads_are_refused_before_parsing(lab):
    before = state_of(lab)
    big = b"0.5,0.5\n" * (MAX_UPLOAD_BYTES // 8 + 1)
    assert not lab.load_files({"big.csv": big})
    assert "MiB" in lab.message and lab.message_level == "warning"
    assert_intact(lab, before)
    with pytest.raises(DataError, match="MiB"):
        parse_points_csv(big)


def test_the_upload_box_holds_back_what_is_too_large(lab):
    box = lab.controls.upload
    assert isinstance(box, UploadBox) and box.max_bytes == MAX_UPLOAD_BYTES
    before = state_of(lab)
    # what the browser sends when the picked files are too large: names and sizes only
    box.receive({"refused": [["huge.pt", 40 * 2**20]]})
    assert "huge.pt" in lab.message and "Nothing was sent" in lab.message
    # a client that skipped the check is refused on the server too
    data = base64.b64encode(b"\0" * (MAX_UPLOAD_BYTES + 1)).decode()
    box.receive({"files": [{"name": "sneaky.pt", "data": data}]})
    assert "sneaky.pt" in lab.message
    assert_intact(lab, before)
    # what fits is loaded
    other = Trainer(distribution="line", seed=2)
    other.train(3)
    box.receive({"files": [{"name": "m.pt", "data": base64.b64encode(checkpoint_bytes(other)).decode()}]})
    assert lab.config.distribution == "line" and lab.trainer.iteration == 3


# --------------------------------------------------------------- model files
def _ganlab_zip(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


def test_bad_model_files_are_refused_and_the_experiment_stays(lab):
    good = checkpoint_bytes(Trainer(distribution="line", seed=1))
    wrong = Trainer(distribution="line", seed=1)
    state = wrong.state_dict()
    state["generator"][0] = np.zeros((2, 9), np.float32)
    shape_bytes = encode_state(state)
    nan = Trainer(distribution="line", seed=1)
    nan.generator.weights[0][0, 0] = float("nan")
    gl = ganlab_model_files(Trainer(distribution="line", seed=1), "m")
    gl_shape = json.loads(gl["m.json"])
    gl_shape["modelTopology"]["config"]["numGeneratorNeurons"] = 7
    cases = {
        "truncated.pt": (good[: len(good) // 2], "not a readable"),
        "corrupt.pt": (b"\x80\x04garbage" * 50, "not a readable"),
        "empty.pt": (b"", "empty"),
        "shape.pt": (shape_bytes, "shape"),
        "nan.pt": (checkpoint_bytes(nan), "NaN or infinite"),
        "gl-truncated.zip": (_ganlab_zip({"m.json": gl["m.json"], "m.weights.bin": gl["m.weights.bin"][:50]}),
                             "truncated"),
        "gl-shape.zip": (_ganlab_zip({"m.json": json.dumps(gl_shape), "m.weights.bin": gl["m.weights.bin"]}),
                         "does not match"),
        "gl-notjson.zip": (_ganlab_zip({"m.json": "{oops", "m.weights.bin": gl["m.weights.bin"]}), "not JSON"),
        "broken.zip": (b"PK\x03\x04 not really a zip", "not a valid zip"),
    }
    before = state_of(lab)
    for name, (content, words) in cases.items():
        assert not lab.load_files({name: content}), name
        assert lab.message_level == "warning" and words in lab.message, (name, lab.message)
        assert_intact(lab, before)
        before = state_of(lab)
    for name in ("truncated.pt", "corrupt.pt", "shape.pt", "nan.pt"):
        with pytest.raises(ModelFileError):
            Trainer.load(cases[name][0])


# --------------------------------------------------------------- settings
def test_config_json_uploads_apply_or_are_refused_whole(lab):
    before = state_of(lab)
    bad = {"d_lr": 0.05, "k_d": "two"}                      # one good value, one of the wrong type
    assert not lab.load_files({"settings.json": json.dumps(bad).encode()})
    assert "k_d" in lab.message and lab.message_level == "warning"
    assert_intact(lab, before)
    assert not lab.load_files({"settings.json": json.dumps({"d_lr": 99}).encode()})
    assert "d_lr" in lab.message and lab.config.d_lr == 0.1
    assert lab.load_files({"settings.json": json.dumps({"d_lr": 0.05, "g_optimizer": "adam"}).encode()})
    assert lab.config.d_lr == 0.05 and lab.config.g_optimizer == "adam" and lab.message_level == "success"
    assert "d_lr" in lab.message and "g_optimizer" in lab.message
    with pytest.raises(ConfigError, match="k_d"):
        ExperimentConfig.from_json(json.dumps(bad))


def test_url_settings_apply_and_bad_ones_are_named():
    lab = GANLab.from_url({"distribution": [b"gaussians"], "d_lr": [b"0.03"], "k_d": [b"1.5"],
                           "g_lr": [b"99"], "nonsense": [b"1"], "loss": [b"least_squares"]})
    plain = GANLab.from_url({"distribution": [b"gaussians"]})
    try:
        assert lab.config.distribution == "gaussians" and lab.config.d_lr == 0.03
        assert lab.config.loss == "least_squares"
        # refused: the pretrained model's values stay
        assert (lab.config.k_d, lab.config.g_lr) == (plain.config.k_d, plain.config.g_lr)
        assert plain.message == INTRO and plain.message_level == "info"   # nothing to report: the welcome
        assert lab.message_level == "warning"
        for name in ("k_d", "g_lr", "nonsense"):
            assert name in lab.message
        assert "it must be at most 10" in lab.message            # in words, not param's internals
        assert "ExperimentConfig" not in lab.message and "Parameter" not in lab.message
        start = lab.trainer.iteration
        lab.trainer.train(3)
        assert lab.trainer.iteration == start + 3
    finally:
        lab.close()
        plain.close()


def test_url_hot_settings_apply_on_top_of_the_pretrained_model():
    lab = GANLab.from_url({"distribution": ["ring"], "g_optimizer": ["adam"]})
    try:
        assert lab.trainer.iteration > 0, "the pretrained ring model loads"
        assert lab.config.g_optimizer == "adam" and lab.config.distribution == "ring"
    finally:
        lab.close()


def test_url_preset_is_the_base_and_the_addresss_settings_apply_over_it():
    lab = GANLab.from_url({"preset": [b"wgan-gp"], "distribution": [b"ring8"], "k_d": [b"3"]})
    bad = GANLab.from_url({"preset": [b"fastest"], "distribution": [b"ring"]})
    try:
        assert lab.settings.preset.value == ""              # k_d differs from the preset's 5: custom
        assert (lab.config.loss, lab.config.adam_beta2, lab.config.k_d) == ("wgan_gp", 0.9, 3)
        assert lab.config.distribution == "ring8" and lab.trainer.iteration == 0
        assert "preset" in bad.message and "fastest" in bad.message and bad.message_level == "warning"
        assert bad.config.distribution == "ring" and bad.config.loss == "log"
    finally:
        lab.close()
        bad.close()


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TEXT_SETTINGS + ("bogus",)),
       st.one_of(st.text(max_size=80), st.floats(allow_nan=True).map(repr), st.integers().map(str)))
def test_any_text_is_parsed_into_a_valid_setting_or_refused_naming_it(name, text):
    try:
        value = parse_setting(name, text)
    except ConfigError as exc:
        assert exc.field == name and name in str(exc)
    else:
        assert getattr(ExperimentConfig(**{name: value}), name) == value


def test_settings_text_is_never_evaluated(tmp_path):
    marker = tmp_path / "ran"
    values, problems = parse_settings({"d_lr": f"__import__('pathlib').Path({str(marker)!r}).touch()",
                                       "seed": "1+1"})
    assert values == {} and len(problems) == 2 and not marker.exists()


# --------------------------------------------------------------- divergence
def test_a_diverging_run_is_caught_and_reset_recovers():
    lab = GANLab(ExperimentConfig(distribution="ring", **DIVERGING), use_pretrained=False)
    pn.panel(lab).get_root(Document())
    try:
        lab.runner.playing = True
        lab.runner.iterations_per_frame = 10
        for _ in range(20):
            scene = asyncio.run(lab.runner.tick())
            if scene.frame.diverged:
                break
        assert scene.frame.diverged and not scene.frame.finite
        assert not lab.runner.playing
        assert lab.message_level == "danger" and "diverged" in lab.message and "Reset" in lab.message
        asyncio.run(lab.reset())
        assert lab.trainer.iteration == 0 and not lab.trainer.diverged
        assert lab.message_level == "info" and "Reset" in lab.message
        # the same settings diverge again; smaller learning rates train on
        lab.config.param.update(d_lr=0.01, g_lr=0.01)
        lab.trainer.train(20)
        assert not lab.trainer.diverged
    finally:
        lab.close()


def test_errors_are_value_errors_naming_the_problem():
    for cls in (ConfigError, DataError, ModelFileError):
        assert issubclass(cls, GANLabError) and issubclass(cls, ValueError)
    with pytest.raises(ValueError, match="batch_size"):
        Trainer(batch_size=0)


def test_bokehs_own_url_arguments_are_not_reported_as_settings():
    lab = GANLab.from_url({"bokeh-autoload-element": [b"p1002"], "bokeh-absolute-url": [b"http://x/ganlab"],
                           "d_lr": [b"0.03"]}, use_pretrained=False)
    try:
        assert lab.config.d_lr == 0.03 and lab.message == INTRO
    finally:
        lab.close()
