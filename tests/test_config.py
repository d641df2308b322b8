import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab_panel import ExperimentConfig
from ganlab_panel.engine.config import HOT_PARAMS
from ganlab_panel.engine.errors import ConfigError

GANLAB_DEFAULTS = dict(
    distribution="gaussians", noise_type="uniform", noise_dim=2, g_layers=1, g_neurons=8,
    d_layers=1, d_neurons=8, d_lr=0.1, g_lr=0.1, d_optimizer="sgd", g_optimizer="sgd",
    loss="log", k_d=2, k_g=1, batch_size=150,
)


def test_defaults_are_gan_labs():
    cfg = ExperimentConfig()
    for name, value in GANLAB_DEFAULTS.items():
        assert getattr(cfg, name) == value, name


def test_every_setting_is_documented():
    for name in ExperimentConfig.field_names():
        assert ExperimentConfig.param[name].doc, f"{name} has no doc"


def test_structural_and_hot_params_partition_the_settings():
    names = set(ExperimentConfig.field_names())
    hot = set(ExperimentConfig.hot_params())
    structural = set(ExperimentConfig.structural_params())
    assert hot == HOT_PARAMS
    assert hot | structural == names and not hot & structural
    assert {"d_lr", "g_lr", "d_optimizer", "g_optimizer", "loss", "k_d", "k_g", "adam_beta1", "adam_beta2",
            "gp_weight", "r1_gamma"} <= hot
    assert {"distribution", "noise_dim", "noise_type", "g_layers", "d_neurons", "seed", "d_spectral_norm"} <= structural


@pytest.mark.parametrize("field, value", [
    ("g_layers", 6), ("g_layers", -1), ("d_neurons", 0), ("d_neurons", 513), ("k_d", 11),
    ("k_g", -1), ("noise_dim", 0), ("noise_dim", 17), ("d_lr", 0.0), ("adam_beta1", 1.0),
    ("adam_beta2", -0.1), ("gp_weight", -1.0), ("r1_gamma", float("nan")), ("d_spectral_norm", 1), ("g_lr", -0.1), ("loss", "hinge-ish"),
    ("d_optimizer", "adagrad"), ("distribution", "moon"), ("batch_size", 0), ("seed", -1),
    ("g_layers", True), ("g_layers", 1.5), ("d_lr", "fast"), ("device", "tpu"),
    ("drawn_points", [[9.0, 9.0]]),
])
def test_invalid_values_are_refused_naming_the_field(field, value):
    with pytest.raises(ConfigError) as info:
        ExperimentConfig(**{field: value})
    assert info.value.field == field
    assert field in str(info.value)
    assert isinstance(info.value, ValueError)


def test_setting_an_invalid_value_later_names_the_field_and_keeps_the_old_value():
    cfg = ExperimentConfig()
    with pytest.raises(ValueError, match="d_neurons"):
        cfg.d_neurons = 1000
    assert cfg.d_neurons == 8


def test_unknown_settings_are_refused():
    with pytest.raises(ConfigError, match="learning_rate"):
        ExperimentConfig(learning_rate=0.1)
    with pytest.raises(ConfigError, match="colour"):
        ExperimentConfig.from_dict({"colour": "green"})


def test_json_round_trip_keeps_every_value():
    cfg = ExperimentConfig(distribution="drawing", drawn_points=np.array([[0.1, 0.2], [0.3, 0.4]]),
                           noise_type="gaussian", noise_dim=1, g_layers=3, d_neurons=40, d_lr=0.03,
                           g_optimizer="adam", loss="least_squares", k_d=5, k_g=2, batch_size=64, seed=9)
    text = cfg.to_json()
    json.loads(text)  # plain JSON
    back = ExperimentConfig.from_json(text)
    assert back.to_dict() == cfg.to_dict()
    assert back.differences(cfg) == {}
    np.testing.assert_array_equal(back.drawn_points, cfg.drawn_points)


def test_missing_keys_take_defaults_and_differences_are_reported():
    cfg = ExperimentConfig.from_json('{"distribution": "ring", "seed": 4}')
    assert cfg.distribution == "ring" and cfg.seed == 4 and cfg.d_lr == 0.1
    assert cfg.differences(ExperimentConfig()) == {"distribution": ("ring", "gaussians"), "seed": (4, 0)}


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", "null", '"ring"'])
def test_malformed_json_is_a_config_error(text):
    with pytest.raises(ConfigError):
        ExperimentConfig.from_json(text)


def test_copy_is_independent():
    cfg = ExperimentConfig(distribution="ring")
    other = cfg.copy(seed=5)
    other.d_lr = 0.01
    assert (cfg.seed, cfg.d_lr) == (0, 0.1)
    assert (other.distribution, other.seed) == ("ring", 5)


_values = st.fixed_dictionaries({}, optional={
    "g_layers": st.one_of(st.integers(-3, 8), st.booleans(), st.floats(-2, 8), st.text(max_size=3)),
    "d_neurons": st.one_of(st.integers(-5, 600), st.none()),
    "d_lr": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2, 20)),
    "k_d": st.integers(-2, 12),
    "loss": st.sampled_from(["log", "minimax", "least_squares", "wgan_gp", "hinge", "LOG", "", "wasserstein?"]),
    "noise_dim": st.integers(0, 20),
    "adam_beta1": st.floats(-0.5, 1.5),
})


@given(_values)
@settings(max_examples=300, deadline=None)
def test_config_validation_accepts_exactly_the_documented_ranges(values):
    def valid(name, v):
        if name == "g_layers":
            return type(v) is int and 0 <= v <= 5
        if name == "d_neurons":
            return type(v) is int and 1 <= v <= 512
        if name == "d_lr":
            return not isinstance(v, bool) and np.isfinite(v) and 0 < v <= 10
        if name == "k_d":
            return 0 <= v <= 10
        if name == "loss":
            return v in ("log", "minimax", "least_squares", "wgan_gp", "hinge")
        if name == "noise_dim":
            return 1 <= v <= 16
        if name == "adam_beta1":
            return 0 <= v < 1
        raise AssertionError(name)

    bad = [n for n, v in values.items() if not valid(n, v)]
    if bad:
        with pytest.raises(ConfigError) as info:
            ExperimentConfig.from_dict(values)
        assert info.value.field in bad
    else:
        cfg = ExperimentConfig.from_dict(values)
        for n, v in values.items():
            assert getattr(cfg, n) == v
        assert ExperimentConfig.from_json(cfg.to_json()).to_dict() == cfg.to_dict()
