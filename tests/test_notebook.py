"""The notebook runs top to bottom in a fresh kernel, app and API alike."""

from pathlib import Path

import nbclient
import nbformat

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "ganlab.ipynb"


def test_notebook_executes_without_errors(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "grid JS divergence" in text
    assert "same generator after 100 more iterations: True" in text
    assert "iteration 4500: " in text and "/8 modes" in text and "mode-coverage" in text
    assert "rewound to 150 - the trainer is at 150" in text           # rewind, from code
    assert "[150, 200, 250]" in text or "150, 200, 250]" in text       # resumed there
    assert "{'loss': ('log', 'least_squares')}" in text                # the comparison's difference
    # the live app was displayed (Panel's notebook output, not just a repr)
    assert any("application/vnd.holoviews_exec.v0+json" in o.get("data", {}) for o in outputs
               if o.output_type in ("display_data", "execute_result"))
