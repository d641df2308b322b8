"""A real JupyterLab for the notebook tests: served on loopback, opened in
Chromium, its cells run through JupyterLab's own commands.

``JupyterLab`` serves a folder (no token, on a free loopback port);
``Notebook`` is one notebook open in a page: ``run(code)`` adds a cell at the
end, runs it as the user's Shift+Enter would, and returns what it printed or
returned (an error reads ``ExceptionName: message``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat

# a cell added at the end and run through JupyterLab's own command
_RUN_JS = """async (code) => {
  const app = window.jupyterapp, nb = app.shell.currentWidget.content;
  const n = nb.model.cells.length;
  nb.model.sharedModel.insertCell(n, {cell_type: 'code', source: code});
  nb.activeCellIndex = n;
  const id = nb.model.cells.get(n).id;
  window.__ganlab_cells = window.__ganlab_cells || {};
  window.__ganlab_cells[id] = false;
  app.commands.execute('notebook:run-cell').then(() => { window.__ganlab_cells[id] = true; });
  return id;
}"""
_RERUN_JS = """(id) => {
  const app = window.jupyterapp, nb = app.shell.currentWidget.content;
  nb.activeCellIndex = Array.from(nb.model.cells).findIndex(m => m.id === id);
  window.__ganlab_cells[id] = false;
  app.commands.execute('notebook:run-cell').then(() => { window.__ganlab_cells[id] = true; });
}"""
_CELL = "const c = Array.from(window.jupyterapp.shell.currentWidget.content.model.cells).find(m => m.id === id);"
_DONE_JS = "(id) => { " + _CELL + " return window.__ganlab_cells[id] && c && c.executionCount != null; }"
_OUTPUTS_JS = "(id) => { " + _CELL + " return c.outputs.toJSON(); }"
_ALL_OUTPUTS_JS = """() => Array.from(window.jupyterapp.shell.currentWidget.content.model.cells)
  .filter(c => c.type === 'code').map(c => c.outputs.toJSON())"""
_READY_JS = """(path) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return !!w && w.context && w.context.path === path && !!w.sessionContext.session &&
         !!w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle'; }"""


def output_text(outputs: list[dict]) -> str:
    """What a cell's outputs say: streams, results as text, errors as ``Name: message``."""
    parts = []
    for o in outputs:
        kind = o.get("output_type")
        if kind == "stream":
            text = o.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        elif kind == "error":
            parts.append(f"{o.get('ename')}: {o.get('evalue')}")
        else:
            text = (o.get("data") or {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else text)
    return "".join(parts)


def problems(outputs: list[dict]) -> list[str]:
    """A cell's error outputs and anything it wrote to stderr."""
    return [output_text([o]) for o in outputs
            if o.get("output_type") == "error" or (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def write_notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


class JupyterLab:
    """``jupyter lab`` serving ``root`` on a free loopback port, no token."""

    def __init__(self, root: Path, port: int, log: Path):
        self.root = Path(root)
        self.url = f"http://127.0.0.1:{port}"
        args = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
                f"--ServerApp.root_dir={self.root}", "--IdentityProvider.token=", "--ServerApp.password=",
                "--ServerApp.disable_check_xsrf=True", "--LabApp.expose_app_in_browser=True",
                "--JupyterNotebookApp.expose_app_in_browser=True",
                "--LabApp.news_url=", "--ServerApp.port_retries=0"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--allow-root")
        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               # a workspace of its own, so no earlier session's tabs open
               "JUPYTERLAB_WORKSPACES_DIR": str(self.root / ".workspaces")}
        self._log = open(log, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(args, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 120.0) -> None:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/api/status", timeout=5).close()
                return
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise TimeoutError(f"JupyterLab did not start at {self.url}") from None
                time.sleep(0.3)

    def shut_down_kernels(self) -> None:
        """Stop every session's kernel (so no lab keeps training between tests)."""
        for kind in ("sessions", "kernels"):
            try:
                with urllib.request.urlopen(f"{self.url}/api/{kind}", timeout=10) as r:
                    items = json.load(r)
            except OSError:
                return
            for item in items:
                request = urllib.request.Request(f"{self.url}/api/{kind}/{item['id']}", method="DELETE")
                try:
                    urllib.request.urlopen(request, timeout=30).close()
                except OSError:
                    pass

    def close(self) -> None:
        self.shut_down_kernels()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


class Notebook:
    """One notebook open in JupyterLab (``ui="lab"``) or in Notebook 7 (``ui="notebook"``)."""

    def __init__(self, browser, lab: JupyterLab, path: str, ui: str = "lab", viewport=(1600, 1000)):
        self.lab = lab
        self.path = path
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self.page = self.context.new_page()
        self.page.errors = []
        self.page.on("pageerror", lambda exc: self.page.errors.append(str(exc)))
        address = f"{lab.url}/lab/tree/{path}?reset" if ui == "lab" else f"{lab.url}/notebooks/{path}"
        self.page.goto(address)
        self.page.wait_for_function(_READY_JS, arg=path, timeout=120_000)

    def run(self, code: str, timeout: float = 180.0) -> str:
        """Run ``code`` in a new cell at the end; what it returned (or printed,
        or the error it raised). The kernel may send printed text after it
        says the cell is done, so tests read values the cell returns."""
        return output_text(self.run_outputs(code, timeout))

    def run_outputs(self, code: str, timeout: float = 180.0) -> list[dict]:
        """Like ``run``: the cell's outputs as nbformat dicts; ``last_cell``
        is its id (for ``rerun``)."""
        self.last_cell = self.page.evaluate(_RUN_JS, code)
        return self._wait(self.last_cell, timeout)

    def rerun(self, cell: str, timeout: float = 180.0) -> list[dict]:
        """Run an earlier cell again, in place (its old output goes)."""
        self.page.evaluate(_RERUN_JS, cell)
        return self._wait(cell, timeout)

    def _wait(self, cell: str, timeout: float) -> list[dict]:
        self.page.wait_for_function(_DONE_JS, arg=cell, timeout=timeout * 1000, polling=50)
        return self.page.evaluate(_OUTPUTS_JS, cell)

    def run_all(self, timeout: float = 600.0) -> list[list[dict]]:
        """Run every cell (Run > Run All Cells); each code cell's outputs."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        deadline = time.time() + timeout
        idle_since = None
        while time.time() < deadline:
            busy = self.page.evaluate("""() => {
              const w = window.jupyterapp.shell.currentWidget;
              const pending = Array.from(w.content.model.cells).some(c => c.type === 'code' &&
                 (c.executionState === 'running' || c.executionCount == null));
              return pending || w.sessionContext.session.kernel.status !== 'idle'; }""")
            if busy:
                idle_since = None
            elif idle_since is None:
                idle_since = time.time()
            elif time.time() - idle_since > 1.0:
                return self.page.evaluate(_ALL_OUTPUTS_JS)
            time.sleep(0.25)
        raise TimeoutError(f"{self.path} did not finish running within {timeout} s")

    def close(self) -> None:
        self.context.close()


def iteration(locator) -> int:
    """The number shown by an app's iteration counter (a locator of ``.ganlab-iteration``)."""
    return int(re.sub(r"\D", "", locator.inner_text()) or 0)
