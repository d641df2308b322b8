"""Presets: named recipes, the same from the API, the CLI and the app."""

import numpy as np
import pytest

from ganlab_panel import ExperimentConfig, Trainer
from ganlab_panel.engine import trainer as trainer_module
from ganlab_panel.engine.errors import ConfigError
from ganlab_panel.engine.presets import KEPT, PRESETS, apply_preset, matching_preset, preset_settings


def test_a_preset_sets_every_setting_but_the_data_seed_and_device():
    config = ExperimentConfig(distribution="grid25", seed=7, g_neurons=33, loss="hinge", k_d=4)
    apply_preset(config, "least-squares")
    assert (config.distribution, config.seed) == ("grid25", 7)
    assert config.loss == "least_squares" and config.g_neurons == 32
    assert config.k_d == 1                                 # named by the preset
    assert config.batch_size == ExperimentConfig.param["batch_size"].default  # not named: GAN Lab's default
    assert matching_preset(config) == "least-squares"
    config.d_lr = 0.3
    assert matching_preset(config) is None                 # edited: custom settings now
    assert not set(KEPT) & set(preset_settings("mode-coverage"))


def test_ganlab_preset_is_gan_labs_defaults():
    config = ExperimentConfig(distribution="ring", d_lr=0.5, loss="wgan_gp", g_layers=3)
    apply_preset(config, "ganlab")
    fresh = ExperimentConfig(distribution="ring")
    assert config.to_dict() == fresh.to_dict()
    assert matching_preset(fresh) == "ganlab"


def test_an_unknown_preset_is_a_config_error_naming_the_choices():
    with pytest.raises(ConfigError, match="mode-coverage"):
        preset_settings("best")


def test_applying_a_preset_rebuilds_the_experiment_once(monkeypatch):
    trainer = Trainer(distribution="ring8")
    rebuilt = []
    build = trainer_module.Experiment
    monkeypatch.setattr(trainer_module, "Experiment", lambda cfg: (rebuilt.append(1), build(cfg))[1])
    apply_preset(trainer.config, "mode-coverage")
    assert len(rebuilt) == 1
    recipe = PRESETS["mode-coverage"].settings
    assert (trainer.generator.hidden_layers, trainer.generator.neurons) == (recipe["g_layers"], recipe["g_neurons"])
    assert (trainer.discriminator.hidden_layers, trainer.discriminator.neurons) == (recipe["d_layers"],
                                                                                  recipe["d_neurons"])
    assert trainer.generator.neurons != ExperimentConfig.param["g_neurons"].default   # the recipe's, not GAN Lab's


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_trains_a_short_seeded_run_finitely(name):
    config = ExperimentConfig(distribution="ring8", seed=1)
    apply_preset(config, name)
    trainer = Trainer(config)
    trainer.train(30)
    frame = trainer.snapshot()
    assert frame.finite and frame.iteration == 30
    assert np.isfinite(frame.fake).all()
    assert frame.modes_total == 8


def test_the_minute_recipe_is_small_enough_for_the_compiled_kernel():
    # what makes it a minute: its R1 and moving average run in the kernel, not on NumPy
    config = ExperimentConfig(distribution="grid25", seed=5)
    apply_preset(config, "mode-coverage-minute")
    trainer = Trainer(config)
    assert trainer.path == "compiled" and trainer.config.r1_gamma > 0 and trainer.config.g_ema > 0
    assert matching_preset(config) == "mode-coverage-minute"
