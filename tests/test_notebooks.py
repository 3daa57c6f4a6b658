"""Every shipped notebook runs from top to bottom, so none can rot."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for cell in nb.cells if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    # figures are shown inline, as pictures (not "<Figure size 1100x800 with 4 Axes>")
    images = [o for cell in nb.cells if cell.cell_type == "code"
              for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, "the notebook shows no figure"
    if "dashboard" in "".join(c.source for c in nb.cells if c.cell_type == "code"):
        # the dashboard page inside Jupyter: Solara renders it as a widget, without error
        widgets = [o for cell in nb.cells if cell.cell_type == "code"
                   for o in cell.get("outputs", [])
                   if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        assert widgets, "the dashboard did not render as a Jupyter widget"


def test_the_five_topics_each_have_a_notebook():
    """(a) touchpoints, (b) peak-end and loss aversion, (c) word of mouth, (d) retention vs
    acquisition, (e) staffing the call centre (issue 11); the dashboard shown in one."""
    names = [p.stem for p in NOTEBOOKS]
    for topic in ("touchpoints", "peak_end", "word_of_mouth", "retention_vs_acquisition",
                  "staffing"):
        assert any(topic in n for n in names), topic
    sources = "".join(c.source for p in NOTEBOOKS for c in nbformat.read(p, as_version=4).cells)
    assert "from sim.app.dashboard import Page" in sources
    assert "mesa.DataCollector" in sources
