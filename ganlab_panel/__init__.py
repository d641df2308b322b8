"""ganlab-panel: GAN Lab's interactive GAN playground on PyTorch and HoloViz.

The package is laid out by layer, and imports run one way, top to bottom:

    ui/      the app: plots, views, the lab, compare, the runner (Panel, HoloViews, Bokeh)
    files/   GAN Lab's model format, pictures, exports (Pillow)
    live/    the Scene (Datashader rasters), drawing geometry and colours, history
    engine/  config, data, models, losses, metrics, presets, Trainer, backends, Frame

The engine needs only param and NumPy (torch where the PyTorch path trains);
importing this package imports neither torch nor Panel, HoloViews or Bokeh. See docs/architecture.md.

    from ganlab_panel import ExperimentConfig, Trainer
    tr = Trainer(ExperimentConfig(distribution="ring", seed=0))
    tr.train(1000)
    frame = tr.snapshot()
"""

import sys

from ganlab_panel.engine import data, presets
from ganlab_panel.engine.config import ExperimentConfig
from ganlab_panel.engine.data import DISTRIBUTIONS
from ganlab_panel.engine.errors import ConfigError, DataError, GANLabError, ModelFileError
from ganlab_panel.engine.frames import Frame
from ganlab_panel.engine.trainer import Trainer
from ganlab_panel.files.ganlab_format import load_ganlab_model, save_ganlab_model

__version__ = "0.1.0"

# The README's module names for the data and the presets stay importable
# (``from ganlab_panel.presets import PRESETS``); they are the engine's modules.
sys.modules[__name__ + ".data"] = data
sys.modules[__name__ + ".presets"] = presets


def __getattr__(name):
    # The app needs Panel and HoloViews; import it only when asked for, so the
    # engine stays importable (and light) without them.
    if name == "GANLab":
        from ganlab_panel.ui.lab import GANLab
        return GANLab
    if name == "CompareLab":
        from ganlab_panel.ui.compare import CompareLab
        return CompareLab
    if name == "plots":
        from ganlab_panel.ui import plots
        return plots
    raise AttributeError(f"module 'ganlab_panel' has no attribute {name!r}")


__all__ = [
    "CompareLab", "ConfigError", "DataError", "DISTRIBUTIONS", "ExperimentConfig", "Frame", "GANLabError",
    "GANLab", "ModelFileError", "Trainer", "load_ganlab_model", "save_ganlab_model", "__version__",
]
