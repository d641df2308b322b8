"""What importing the engine really loads, in a fresh interpreter: the layer
test reads the source; this one checks what arrives at run time, through every
library the engine imports in turn."""

UI_LIBRARIES = ("panel", "holoviews", "bokeh", "datashader", "PIL", "pandas", "tornado")


def test_the_engine_and_the_package_load_no_ui_library(fresh_python):
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
    out = fresh_python(code)
    assert out.strip() == "", f"the engine pulled in: {out.strip()}"


def test_a_served_lab_that_plays_never_loads_torch(fresh_python):
    """A server process warms up, opens the lab and the compare page and
    trains on them without PyTorch (a third of a process's memory); torch
    arrives only when a setting needs the PyTorch path."""
    code = (
        "import sys\n"
        "from bokeh.document import Document\n"
        "from panel.io.state import set_curdoc\n"
        "from ganlab_panel.ui.serving import warm_up\n"
        "from ganlab_panel.ui.lab import GANLab\n"
        "from ganlab_panel.ui.compare import CompareLab\n"
        "from ganlab_panel.live.scene import compute_scene\n"
        "warm_up()\n"
        "for make in (GANLab.from_url, CompareLab.from_url):\n"
        "    with set_curdoc(Document()):\n"
        "        page = make({})\n"
        "lab = GANLab.from_url({})\n"
        "lab.trainer.train(200)\n"
        "compute_scene(lab.trainer, d_field=True, density=True)\n"
        "print('torch' in sys.modules)\n"
        "lab.config.loss = 'wgan_gp'\n"
        "lab.trainer.train(5)\n"
        "print(lab.trainer.path, 'torch' in sys.modules)\n"
    )
    out = fresh_python(code, timeout=180)
    assert out.split() == ["False", "torch", "True"], out


def test_a_served_process_imports_datashader_without_what_the_lab_never_gives_it(fresh_python):
    """Datashader imported and warmed up the served way draws the lab's layers
    without Dask's arrays and dataframes (and the SciPy parts they bring) or
    its examples' downloader (requests), and leaves nothing refused: they
    import afterwards as before, and drawing still works (Dask's dataframes
    need pyarrow, which this package does not install: checked with its
    arrays)."""
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from ganlab_panel.ui.serving import lean_datashader, warm_up\n"
        "lean_datashader()\n"
        "warm_up()\n"
        "from ganlab_panel.live.scene import density_image, rasterize_manifold\n"
        "u = np.linspace(0, 1, 11)\n"
        "grid = np.stack(np.meshgrid(u, u, indexing='ij'), axis=-1)\n"
        "def draw():\n"
        "    image = rasterize_manifold(grid, np.full((10, 10), 0.5), 20)\n"
        "    dens = density_image(np.random.default_rng(0).random((500, 2)), 20)\n"
        "    return np.isfinite(image).mean() > 0.8 and np.nanmax(dens) == 1.0\n"
        "print(draw())\n"
        "left_out = ('dask.array', 'dask.dataframe', 'scipy.sparse', 'requests', 'pyct.cmd')\n"
        "print(','.join(m for m in left_out if m in sys.modules) or '-')\n"
        "import dask.array, requests\n"
        "print('imported', draw())\n"
    )
    out = fresh_python(code, timeout=180)
    assert out.split() == ["True", "-", "imported", "True"], out
