import subprocess
import sys

CORE = ["engine.config", "engine.data", "engine.models", "engine.losses", "engine.trainer", "engine.frames",
        "engine.metrics", "engine.checkpoint", "engine.device", "engine.errors", "cli"]


def test_core_modules_import_no_ui_library():
    code = (
        "import sys\n"
        + "".join(f"import ganlab_panel.{m}\n" for m in CORE)
        + "import ganlab_panel\n"
        + "from ganlab_panel import ExperimentConfig, Trainer, load_ganlab_model, save_ganlab_model\n"
        + "bad = [m for m in ('panel', 'holoviews', 'bokeh', 'datashader') if m in sys.modules]\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"core modules pulled in: {out.stdout.strip()}"
