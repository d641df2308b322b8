"""Presets: named recipes of settings, the same in the app, the CLI and the API.

A preset sets every model and training setting: those it names take its
values, the others GAN Lab's defaults. The data, the user's drawing, the seed
and the device are the user's and stay as they are, so one recipe can be tried
on any data:

    ganlab train --preset mode-coverage --distribution ring8

(a preset with a length of its own trains that long unless ``--iterations``
says otherwise).

>>> apply_preset(config, "wgan-gp")
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.engine.errors import ConfigError

#: settings a preset never changes: what the experiment is trained on, and where
KEPT = ("distribution", "drawn_points", "seed", "device")


@dataclass(frozen=True)
class Preset:
    title: str
    description: str
    settings: dict = field(default_factory=dict)
    #: how many iterations the recipe is meant to train (None: no length of its own)
    iterations: int | None = None


#: the mode-coverage recipe (its minute-long variant changes a few of these)
MODE_COVERAGE = dict(g_layers=2, g_neurons=128, d_layers=2, d_neurons=64, d_optimizer="adam", g_optimizer="adam",
                     d_lr=0.001, g_lr=0.001, adam_beta1=0.5, batch_size=256, noise_dim=4, noise_type="gaussian",
                     k_d=1, k_g=1, r1_gamma=0.1, lr_decay_start=60_000, lr_half_life=15_000, g_ema=0.999)

PRESETS: dict[str, Preset] = {
    "ganlab": Preset(
        "GAN Lab's defaults",
        "GAN Lab's model and training: one hidden layer of 8 neurons in each network, SGD at 0.1, log loss, "
        "two D updates per iteration, batch 150."),
    "mode-coverage": Preset(
        "Mode coverage (ring8, grid25)",
        "For the mode-collapse benchmarks: three hidden layers in each network (128 neurons in G, 64 in D), "
        "Adam (lr 0.001, β1 0.5), batch 256, 4-D Gaussian noise, one D update per iteration, an R1 penalty "
        "(γ 0.1) that keeps D from forgetting modes, full learning rates for 60,000 iterations, then halving "
        "every 15,000, and the generator shown and measured as the moving average of its weights (β 0.999). "
        "It trains 120,000 iterations: about four and a half minutes on one core. BENCHMARKS.md has its "
        "measured modes, quality and balance.",
        MODE_COVERAGE,
        iterations=120_000),
    "mode-coverage-minute": Preset(
        "Mode coverage in a minute (ring8, grid25)",
        "The mode-coverage recipe cut to train in under a minute on one core: 48 neurons in each network "
        "(small enough for the compiled kernel), batch 128, two D updates per iteration, Adam with β1 0, "
        "full learning rates for 35,000 iterations, then halving every 9,000, a slower moving average of G "
        "(β 0.9998), and 250,000 noise vectors and real points to cycle through, so that G cannot learn its "
        "noise by heart; 70,000 iterations in all. The samples shown and measured leave out the 5 % that G "
        "stretches most, its jumps from one mode to the next (Jacobian-based truncation). On seeds it was "
        "not chosen on it kept every mode (grid25: 99.3 % high-quality samples, 95.3 % without the truncation; "
        "ring8: 99.6 %, 96.9 % without). BENCHMARKS.md has the figures.",
        {**MODE_COVERAGE, "g_neurons": 48, "d_neurons": 48, "batch_size": 128, "k_d": 2, "adam_beta1": 0.0,
         "lr_decay_start": 35_000, "lr_half_life": 9_000, "g_ema": 0.9998, "atlas_size": 250_000,
         "jacobian_truncation": 0.05},
        iterations=70_000),
    "wgan-gp": Preset(
        "Wasserstein GAN with gradient penalty",
        "Gulrajani et al.'s recipe: a critic (no sigmoid) with λ = 10, five critic updates per generator update, "
        "Adam at 0.0001 with β = (0.5, 0.9), three hidden layers of 64.",
        dict(loss="wgan_gp", gp_weight=10.0, k_d=5, k_g=1, d_optimizer="adam", g_optimizer="adam",
             d_lr=0.0001, g_lr=0.0001, adam_beta1=0.5, adam_beta2=0.9, g_layers=2, g_neurons=64,
             d_layers=2, d_neurons=64, batch_size=256)),
    "hinge-sn": Preset(
        "Hinge loss with spectral normalisation",
        "Miyato et al.'s recipe: hinge loss, spectrally normalised critic, Adam at 0.0002 with β = (0.5, 0.999), "
        "three hidden layers of 64.",
        dict(loss="hinge", d_spectral_norm=True, d_optimizer="adam", g_optimizer="adam", d_lr=0.0002,
             g_lr=0.0002, adam_beta1=0.5, k_d=1, g_layers=2, g_neurons=64, d_layers=2, d_neurons=64,
             batch_size=256)),
    "least-squares": Preset(
        "Least squares (LSGAN)",
        "Mao et al.'s least-squares loss with Adam at 0.001 (β1 0.5), two hidden layers of 32.",
        dict(loss="least_squares", d_optimizer="adam", g_optimizer="adam", d_lr=0.001, g_lr=0.001,
             adam_beta1=0.5, k_d=1, g_layers=1, g_neurons=32, d_layers=1, d_neurons=32)),
    "saturating": Preset(
        "Minimax (saturating) game",
        "GAN Lab's model with the original minimax loss, whose generator gradient vanishes while D is sure: "
        "compare it with GAN Lab's defaults to see why the non-saturating loss is used.",
        dict(loss="minimax")),
}


def preset_settings(name: str) -> dict:
    """Every setting a preset fixes (GAN Lab's defaults, then the preset's own)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}", "preset")
    defaults = {n: ExperimentConfig.param[n].default for n in ExperimentConfig.field_names() if n not in KEPT}
    return {**defaults, **PRESETS[name].settings}


def apply_preset(config: ExperimentConfig, name: str) -> None:
    """Set ``config`` to a preset in one update (the experiment rebuilds once)."""
    config.param.update(**preset_settings(name))


def matching_preset(config: ExperimentConfig) -> str | None:
    """The preset whose settings ``config`` has now, if any."""
    for name in PRESETS:
        if all(getattr(config, k) == v for k, v in preset_settings(name).items()):
            return name
    return None
