"""ganlab-panel: GAN Lab's interactive GAN playground on PyTorch and HoloViz.

The engine (config, data, models, losses, trainer, frames, metrics,
checkpoint) needs only param, NumPy and torch; importing this package does not
import Panel, HoloViews or Bokeh.

    from ganlab_panel import ExperimentConfig, Trainer
    tr = Trainer(ExperimentConfig(distribution="ring", seed=0))
    tr.train(1000)
    frame = tr.snapshot()
"""

from .checkpoint import load_ganlab_model, save_ganlab_model
from .config import ExperimentConfig
from .data import DISTRIBUTIONS
from .errors import ConfigError, DataError, GANLabError, ModelFileError
from .frames import Frame
from .trainer import Trainer

__version__ = "0.1.0"


def __getattr__(name):
    # The app needs Panel and HoloViews; import it only when asked for, so the
    # engine stays importable (and light) without them.
    if name == "GANLab":
        from .app import GANLab
        return GANLab
    if name == "CompareLab":
        from .compare import CompareLab
        return CompareLab
    raise AttributeError(f"module 'ganlab_panel' has no attribute {name!r}")


__all__ = [
    "CompareLab", "ConfigError", "DataError", "DISTRIBUTIONS", "ExperimentConfig", "Frame", "GANLabError",
    "GANLab", "ModelFileError", "Trainer", "load_ganlab_model", "save_ganlab_model", "__version__",
]
