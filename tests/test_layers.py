"""The package's layers, read from its source: every import, lazy ones included.

engine → live → files → ui → sweeps → the package's front (``__init__``, ``cli``): a
module imports only from its own layer or the ones before it, no module imports
itself round a circle, and the lower layers keep away from the libraries they
must not need (the engine trains without Panel, HoloViews, Bokeh, Datashader or
Pillow; only the compiled backend imports Numba; only the PyTorch path and a few
file formats import torch).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ganlab_panel"
LAYERS = ["engine", "live", "files", "ui", "sweeps", "front"]
#: what each layer may not import, directly or lazily
FORBIDDEN = {
    "engine": {"panel", "holoviews", "bokeh", "datashader", "PIL", "pandas", "tornado", "IPython"},
    "live": {"panel", "holoviews", "bokeh", "PIL", "tornado", "IPython"},
    "files": {"panel", "holoviews", "bokeh", "tornado", "IPython"},
    "ui": set(),
    "sweeps": set(),
    "front": set(),
}
#: modules that may import numba themselves
NUMBA_HOMES = {"ganlab_panel.engine.backends.compiled"}
#: modules that may import torch: the PyTorch path, reading a first-version
#: checkpoint, asking CUDA, and writing torch.export programs. Everything else
#: is NumPy, so a served lab never loads torch (a third of its memory).
TORCH_HOMES = {"ganlab_panel.engine.backends.torch_path", "ganlab_panel.engine.backends.torch_losses",
               "ganlab_panel.engine.checkpoint", "ganlab_panel.engine.device", "ganlab_panel.files.portable"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS[:-1] else "front"


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file, however deep."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            # ``from pkg import submodule`` is an import of the submodule
            names = [f"{target}.{alias.name}" for alias in node.names]
            submodules = [name for name in names if is_module(name)]
            found += [(node.lineno, name) for name in submodules]
            if len(submodules) < len(names):
                found.append((node.lineno, target))
    return found


def is_module(name: str) -> bool:
    path = PACKAGE.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


SOURCES = sorted(PACKAGE.rglob("*.py"))
GRAPH = {module_name(p): sorted({m for _, m in imports(p) if m.split(".")[0] == "ganlab_panel"}) for p in SOURCES}


def test_the_scan_sees_the_whole_package():
    assert {"ganlab_panel.engine.trainer", "ganlab_panel.live.scene", "ganlab_panel.files.export",
            "ganlab_panel.ui.lab", "ganlab_panel.cli"} <= set(GRAPH)
    assert "ganlab_panel.engine.config" in GRAPH["ganlab_panel.engine.trainer"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_run_down_the_layers(path):
    module = module_name(path)
    own = LAYERS.index(layer(module))
    upward = [f"line {line}: {target} ({layer(target)})" for line, target in imports(path)
              if target.split(".")[0] == "ganlab_panel" and target != "ganlab_panel"
              and LAYERS.index(layer(target)) > own]
    # the package's own front (``ganlab_panel`` itself) is above every layer
    upward += [f"line {line}: ganlab_panel" for line, target in imports(path)
               if target == "ganlab_panel" and own < LAYERS.index("front")]
    assert not upward, f"{module} ({layer(module)}) imports from a layer above it: {upward}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_lower_layers_keep_away_from_ui_libraries(path):
    module = module_name(path)
    roots = {(line, target.split(".")[0]) for line, target in imports(path)}
    bad = sorted(f"line {line}: {root}" for line, root in roots if root in FORBIDDEN[layer(module)])
    if module not in NUMBA_HOMES:
        bad += sorted(f"line {line}: numba" for line, root in roots if root == "numba")
    if module not in TORCH_HOMES:
        bad += sorted(f"line {line}: torch" for line, root in roots if root == "torch")
    assert not bad, f"{module} ({layer(module)}) imports {bad}"


def test_no_module_imports_itself_round_a_circle():
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in GRAPH.get(node, []):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state and nxt in GRAPH:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for module in GRAPH:
        if module not in state:
            visit(module, [module])
    assert not cycles, "imports in a circle: " + "; ".join(" → ".join(c) for c in cycles)


def test_what_a_dask_worker_runs_imports_the_engine_alone():
    # a sweep's task is unpickled on a worker: it must not drag the app there
    ours = GRAPH["ganlab_panel.sweeps.cell"]
    assert ours and all(m.startswith("ganlab_panel.engine") for m in ours), ours
