"""What importing the engine really loads, in a fresh interpreter: the layer
test reads the source; this one checks what arrives at run time, through every
library the engine imports in turn."""

import subprocess
import sys

UI_LIBRARIES = ("panel", "holoviews", "bokeh", "datashader", "PIL", "pandas", "tornado")


def test_the_engine_and_the_package_load_no_ui_library():
    code = (
        "import importlib, pkgutil, sys\n"
        "import ganlab_panel.engine as engine\n"
        "for m in pkgutil.walk_packages(engine.__path__, 'ganlab_panel.engine.'):\n"
        "    importlib.import_module(m.name)\n"
        "import ganlab_panel, ganlab_panel.cli\n"
        "from ganlab_panel import ExperimentConfig, Trainer, load_ganlab_model, save_ganlab_model\n"
        "Trainer(seed=0)\n"
        f"print(','.join(m for m in {UI_LIBRARIES!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"the engine pulled in: {out.stdout.strip()}"
