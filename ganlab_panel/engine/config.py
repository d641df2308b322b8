"""ExperimentConfig: every knob of a GAN Lab experiment, in one Parameterized.

The config is the single source of truth. Each parameter carries its default
(GAN Lab's), its bounds and a ``doc`` string, so ``pn.Param(config)`` is a usable
panel for free. Which parameters rebuild the experiment (*structural*) and which
apply in place (*hot*) is declared once here, in :data:`HOT_PARAMS`; every other
parameter is structural.

Configs round-trip through JSON (``to_json`` / ``from_json``); invalid values
raise :class:`~ganlab_panel.errors.ConfigError` naming the field.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import param

from ganlab_panel.engine.data import DISTRIBUTIONS, DRAWING, EXTRA_DISTRIBUTIONS, NOISE_TYPES, validate_points
from ganlab_panel.engine.device import DEVICE_CHOICES
from ganlab_panel.engine.errors import ConfigError, DataError
from ganlab_panel.engine.losses import LOSSES
from ganlab_panel.engine.truncation import MAX_TRUNCATION

#: GAN Lab's optimizers, then RMSprop
OPTIMIZERS = ("sgd", "adam", "rmsprop")

#: what the menus show for each choice (the settings keep the short names)
CHOICE_LABELS = {
    "sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop",
    "uniform": "Uniform", "gaussian": "Gaussian",
    **{name: loss.label for name, loss in LOSSES.items()},
}


def _labelled(names) -> dict:
    """A Selector's objects as menus show them: label -> name."""
    return {CHOICE_LABELS.get(name, name): name for name in names}

#: the most noise dimensions; the manifold views need 1 or 2
MAX_NOISE_DIM = 16

#: real points and noise vectors drawn once per experiment (GAN Lab's atlas), unless ``atlas_size`` says more
ATLAS_SIZE = 12_000
#: the largest atlas (a million 16-D noise vectors take 64 MB)
MAX_ATLAS_SIZE = 1_000_000

#: learning rates GAN Lab's menus offer (any positive value is accepted here).
LEARNING_RATE_CHOICES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)

#: parameters a running trainer applies in place, keeping its weights.
HOT_PARAMS = frozenset({"d_lr", "g_lr", "d_optimizer", "g_optimizer", "adam_beta1", "adam_beta2", "lr_half_life",
                        "lr_decay_start",
                        "loss", "gp_weight", "r1_gamma", "g_ema", "k_d", "k_g", "batch_size",
                        "jacobian_truncation"})


class _Int(param.Integer):
    """An Integer that refuses booleans (``True`` is not a layer count)."""

    def _validate_value(self, val, allow_None):
        if isinstance(val, (bool, np.bool_)):
            raise ValueError(f"{self.__class__.__name__.lstrip('_')} parameter {self.name!r} must be an integer, not a boolean")
        super()._validate_value(val, allow_None)


class _Points(param.Parameter):
    """User points: ``None`` or an (n, 2) array inside the unit square."""

    def _validate(self, val):
        super()._validate(val)
        if val is not None:
            try:
                validate_points(val)
            except DataError as exc:
                raise ValueError(f"Parameter {self.name!r}: {exc}") from None


class ExperimentConfig(param.Parameterized):
    """All settings of one GAN experiment; defaults are GAN Lab's."""

    distribution = param.Selector(
        default="gaussians", objects=[*DISTRIBUTIONS, *EXTRA_DISTRIBUTIONS, DRAWING],
        doc="Real data: one of GAN Lab's shapes (line, gaussians, ring, disjoint), a benchmark mixture "
            "(ring8, grid25), a classic shape (spiral, moons, checkerboard, swiss_roll), or 'drawing' for "
            "the user's own points.")
    drawn_points = _Points(
        default=None,
        doc="The user's points, an (n, 2) array in the unit square, used when distribution is 'drawing'.")
    noise_type = param.Selector(
        default="uniform", objects=_labelled(NOISE_TYPES),
        doc="Generator input: uniform on [0, 1], or Gaussian (mean 0.5, std 0.25, truncated at 2 std).")
    noise_dim = _Int(
        default=2, bounds=(1, MAX_NOISE_DIM), softbounds=(1, 2),
        doc="Dimensions of the generator's input noise (GAN Lab: 1 or 2; up to 16 here, where the "
            "manifold views need 1 or 2).")
    g_layers = _Int(
        default=1, bounds=(0, 5),
        doc="Generator hidden layers (n -> n, ReLU) after its first layer.")
    g_neurons = _Int(default=8, bounds=(1, 512), softbounds=(1, 100),
                     doc="Neurons in each generator layer (GAN Lab offers up to 100).")
    d_layers = _Int(
        default=1, bounds=(0, 5),
        doc="Discriminator hidden layers (n -> n, ReLU) after its first layer.")
    d_neurons = _Int(default=8, bounds=(1, 512), softbounds=(1, 100),
                     doc="Neurons in each discriminator layer (GAN Lab offers up to 100).")
    d_spectral_norm = param.Boolean(
        default=False,
        doc="Spectral normalisation of D: each weight divided by its largest singular value, "
            "estimated by one power iteration per D update.")
    d_pack = _Int(
        default=1, bounds=(1, 8),
        doc="PacGAN packing: D judges this many samples at once (all real or all fake), which makes a "
            "generator that drops modes easier to tell apart; 1: one sample, as in GAN Lab. Training "
            "scores batch_size // d_pack packs; the views show D on packs of copies of one point.")
    d_lr = param.Number(
        default=0.1, bounds=(0, 10), inclusive_bounds=(False, True), softbounds=(0.001, 1.0),
        doc="Discriminator learning rate (GAN Lab offers 0.001 to 1.0).")
    g_lr = param.Number(
        default=0.1, bounds=(0, 10), inclusive_bounds=(False, True), softbounds=(0.001, 1.0),
        doc="Generator learning rate (GAN Lab offers 0.001 to 1.0).")
    d_optimizer = param.Selector(
        default="sgd", objects=_labelled(OPTIMIZERS),
        doc="Discriminator optimizer: SGD, Adam (betas below) or RMSprop (alpha 0.99).")
    g_optimizer = param.Selector(
        default="sgd", objects=_labelled(OPTIMIZERS),
        doc="Generator optimizer: SGD, Adam (betas below) or RMSprop (alpha 0.99).")
    adam_beta1 = param.Number(
        default=0.9, bounds=(0, 1), inclusive_bounds=(True, False),
        doc="Adam's beta1 (decay of the gradient's running mean), for both networks; GAN Lab: 0.9.")
    adam_beta2 = param.Number(
        default=0.999, bounds=(0, 1), inclusive_bounds=(True, False),
        doc="Adam's beta2 (decay of the squared gradient's running mean), for both networks; GAN Lab: 0.999.")
    lr_half_life = _Int(
        default=0, bounds=(0, 10_000_000),
        doc="Iterations over which both learning rates halve (0: constant, as in GAN Lab). At iteration t "
            "the rates in force are d_lr and g_lr times 0.5^((t - lr_decay_start) / half-life), once t is "
            "past lr_decay_start.")
    lr_decay_start = _Int(
        default=0, bounds=(0, 10_000_000),
        doc="Iterations at the full learning rates before the half-life applies (used with lr_half_life).")
    loss = param.Selector(
        default="log", objects=_labelled(LOSSES),
        doc="'log': GAN Lab's log loss (non-saturating G, 0.95 label smoothing on real); 'minimax': the "
            "original saturating game; 'least_squares': GAN Lab's LeastSq loss; 'wgan_gp': Wasserstein "
            "with gradient penalty (D is a critic, no sigmoid); 'hinge': hinge loss (D is a critic).")
    gp_weight = param.Number(
        default=10.0, bounds=(0, 1000),
        doc="λ: weight of WGAN-GP's gradient penalty (used with loss 'wgan_gp').")
    r1_gamma = param.Number(
        default=0.0, bounds=(0, 1000),
        doc="γ of the R1 penalty, γ/2 · E‖∇D(x_real)‖², added to D's loss (0: off).")
    g_ema = param.Number(
        default=0.0, bounds=(0, 1), inclusive_bounds=(True, False),
        doc="Decay β of an exponential moving average of the generator's weights, updated after every G "
            "update (0: off, as in GAN Lab; 0.999 is common). When on, the average is the generator that is "
            "shown, sampled and measured; training still updates the generator itself.")
    jacobian_truncation = param.Number(
        default=0.0, bounds=(0, MAX_TRUNCATION), inclusive_bounds=(True, False), softbounds=(0, 0.1), step=0.01,
        doc="Share of samples left out: those whose noise G stretches most (Jacobian-based truncation, "
            "Tanielian et al. 2020; 0: off, as in GAN Lab). G must carry some noise across the gaps between "
            "modes and stretches it thin to do so; leaving out the most stretched noise drops those samples. "
            "Applies to every sample shown, drawn and measured; training still sees every sample.")
    k_d = _Int(default=2, bounds=(0, 10), doc="Discriminator updates per iteration.")
    k_g = _Int(default=1, bounds=(0, 10), doc="Generator updates per iteration.")
    batch_size = _Int(default=150, bounds=(1, 16384), doc="Samples per update, for real data and noise alike.")
    atlas_size = _Int(
        default=ATLAS_SIZE, bounds=(100, MAX_ATLAS_SIZE), softbounds=(1_000, 250_000),
        doc="Real points and noise vectors drawn once from the seed and cycled through in batches (GAN Lab: "
            "12,000). With few noise vectors G can learn to send each of them to a mode and leave the gaps "
            "between them for its jumps from one mode to the next, where fresh noise then falls: a larger "
            "atlas makes it generalise.")
    seed = _Int(
        default=0, bounds=(0, 2**31 - 1),
        doc="Seeds the data and noise atlases and the initial weights: same seed, same run.")
    device = param.Selector(
        default="auto", objects=list(DEVICE_CHOICES),
        doc="Where to train: 'auto' (CUDA when present, else CPU), 'cpu' or 'cuda'.")

    def __init__(self, **params):
        unknown = sorted(set(params) - set(self.field_names()))
        if unknown:
            raise ConfigError(f"unknown setting {unknown[0]!r}", unknown[0])
        for name, value in params.items():
            _check_field(type(self), name, value)
        super().__init__(**params)

    # ---- which changes rebuild --------------------------------------------
    @classmethod
    def field_names(cls) -> list[str]:
        """Every setting's name, in the order they are declared."""
        return [name for name in cls.param if name != "name"]

    @classmethod
    def is_structural(cls, name: str) -> bool:
        """True when changing ``name`` means rebuilding the experiment."""
        if name not in cls.field_names():
            raise ConfigError(f"unknown setting {name!r}", name)
        return name not in HOT_PARAMS

    @classmethod
    def structural_params(cls) -> list[str]:
        return [n for n in cls.field_names() if n not in HOT_PARAMS]

    @classmethod
    def hot_params(cls) -> list[str]:
        return [n for n in cls.field_names() if n in HOT_PARAMS]

    # ---- serialisation ----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, every field included."""
        out: dict[str, Any] = {}
        for name in self.field_names():
            value = getattr(self, name)
            if name == "drawn_points" and value is not None:
                value = np.asarray(value, dtype=float).tolist()
            out[name] = value
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "ExperimentConfig":
        """A config from a dict such as ``to_dict`` makes; missing keys take defaults."""
        if not isinstance(values, dict):
            raise ConfigError(f"a config must be a JSON object, not {type(values).__name__}")
        values = dict(values)
        if values.get("drawn_points") is not None:
            try:
                values["drawn_points"] = validate_points(values["drawn_points"])
            except DataError as exc:
                raise ConfigError(f"drawn_points: {exc}", "drawn_points") from None
        return cls(**values)

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> "ExperimentConfig":
        try:
            values = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
            raise ConfigError(f"the config is not valid JSON: {exc}") from None
        return cls.from_dict(values)

    def copy(self, **changes) -> "ExperimentConfig":
        """A new config with the same values, optionally changed."""
        values = self.to_dict()
        if self.drawn_points is not None:
            values["drawn_points"] = np.array(self.drawn_points, dtype=float)
        values.update(changes)
        return type(self)(**values)

    def to_query(self) -> dict[str, str]:
        """The settings that differ from GAN Lab's defaults, as URL text
        (``parse_settings`` reads them back). A drawing cannot travel in an
        address: its points, and ``distribution=drawing``, are left out, as is
        the device (the other machine's own)."""
        out: dict[str, str] = {}
        for name in self.field_names():
            if name in ("drawn_points", "device"):
                continue
            value, default = getattr(self, name), self.param[name].default
            if value == default or (name == "distribution" and value == "drawing"):
                continue
            out[name] = setting_text(value)
        return out

    def differences(self, other: "ExperimentConfig") -> dict[str, tuple[Any, Any]]:
        """``{name: (mine, theirs)}`` for every field whose values differ."""
        mine, theirs = self.to_dict(), other.to_dict()
        return {k: (mine[k], theirs[k]) for k in mine if mine[k] != theirs[k]}

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.to_dict().items() if k != "drawn_points"}
        if self.drawn_points is not None:
            shown["drawn_points"] = f"<{len(self.drawn_points)} points>"
        inner = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"ExperimentConfig({inner})"


#: settings that a short text (a page URL's query, a command-line option) can carry
TEXT_SETTINGS = tuple(n for n in ExperimentConfig.field_names() if n != "drawn_points")


def parse_setting(name: str, text: str) -> Any:
    """A setting's value from text, such as a page URL's ``?d_lr=0.03``.

    Numbers, integers, booleans and names are parsed by the parameter's type and
    checked against its bounds. Raises :class:`ConfigError` naming the field for
    an unknown setting, unparsable text or a value out of range. Text is parsed,
    never evaluated.
    """
    if name not in TEXT_SETTINGS:
        raise ConfigError(f"unknown setting {name!r}", name)
    text = str(text).strip()
    if len(text) > 64:
        raise ConfigError(f"invalid value for {name!r}: {len(text)} characters is too long", name)
    try:
        value = setting_from_text(name, text)
    except ValueError as exc:
        raise ConfigError(f"invalid value for {name!r}: {exc}", name) from None
    _check_field(ExperimentConfig, name, value)
    return value


def setting_text(value: Any) -> str:
    """A setting's value as URL text (``setting_from_text`` reads it back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def setting_from_text(name: str, text: str) -> Any:
    """Text converted to the type of setting ``name`` (bounds not checked);
    ValueError saying what was expected. The command line's options use it too."""
    parameter = ExperimentConfig.param[name]
    if isinstance(parameter, param.Boolean):
        kind, convert = "true or false", parse_bool
    elif isinstance(parameter, param.Selector):
        return text
    elif isinstance(parameter, param.Integer):
        kind, convert = "an integer", int
    elif isinstance(parameter, param.Number):
        kind, convert = "a number", float
    else:
        return text
    try:
        return convert(text)
    except ValueError:
        raise ValueError(f"expected {kind}, not {text!r}") from None


def parse_bool(text: str) -> bool:
    """"true"/"1"/"yes"/"on" or "false"/"0"/"no"/"off" (any case); else ValueError."""
    lowered = text.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValueError(text)


def query_text(raw: Any) -> str:
    """One URL argument as text: the last of repeated values, bytes decoded."""
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else ""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    return str(raw)


def parse_settings(query: dict[str, Any]) -> tuple[dict[str, Any], list[ConfigError]]:
    """Every valid setting in ``query`` (text values, or lists of them as in a
    parsed URL), and a ConfigError for each one refused."""
    values: dict[str, Any] = {}
    problems: list[ConfigError] = []
    for name, raw in query.items():
        try:
            values[name] = parse_setting(name, query_text(raw))
        except ConfigError as exc:
            problems.append(exc)
    return values, problems


def _check_field(cls: type[ExperimentConfig], name: str, value: Any) -> None:
    """Validate one value with the parameter's own rules; raise ConfigError
    naming it, in words a user reads (not param's own message)."""
    parameter = cls.param[name]
    try:
        parameter._validate(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"invalid value for {name!r}: {_plain(parameter, value, exc)}", name) from None


def _plain(parameter, value, exc: Exception) -> str:
    """What was wrong with ``value``, without param's class and parameter names."""
    if isinstance(parameter, param.Selector):
        return f"{value!r} is not one of {', '.join(map(str, parameter.objects))}"
    if isinstance(parameter, param.Number) and isinstance(value, (int, float)) and parameter.bounds:
        low, high = parameter.bounds
        low_open, high_open = not parameter.inclusive_bounds[0], not parameter.inclusive_bounds[1]
        if low is not None and (value < low or (low_open and value == low)):
            return f"{value} is too small: it must be {'more than' if low_open else 'at least'} {low}"
        if high is not None and (value > high or (high_open and value == high)):
            return f"{value} is too large: it must be {'less than' if high_open else 'at most'} {high}"
    return str(exc)
