"""The package's layers: no import cycles, and the core never imports the dashboard.

Every import counts, those inside functions too (a lazy import is still a dependency);
imports under `if TYPE_CHECKING:` are for type checkers only and do not.
"""

import ast
from pathlib import Path

import networkx as nx

SIM = Path(__file__).resolve().parent.parent / "sim"
LAYERS = {  # a module may import its own layer and those below it
    "commands": {"cli", "compare", "dashboard"},
    "reports": {"plots", "compare_report", "sweep"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("sim."))
    return found - {path.stem}


def _graph() -> nx.DiGraph:
    g = nx.DiGraph()
    for path in SIM.glob("*.py"):
        g.add_node(path.stem)
        g.add_edges_from((path.stem, other) for other in _imports(path))
    return g


def test_no_import_cycles():
    assert list(nx.simple_cycles(_graph())) == []


def test_the_core_never_imports_the_commands_or_the_dashboard():
    g = _graph()
    top = LAYERS["commands"]
    for module in g.nodes - top:
        reached = nx.descendants(g, module) & top
        assert not reached, f"{module} imports {reached}"


def test_results_are_below_reports():
    """Results, their tables, KPIs and intervals import no report and no command.

    One convenience reaches up: `Result.plot()` imports sim.plots when called (as Covasim's
    `sim.plot()`), and sim.plots names Result for type checkers only, so it is no cycle.
    """
    g = _graph()
    for module in ("results", "kpis", "intervals", "provenance", "io"):
        reached = nx.descendants(g, module) & (LAYERS["reports"] | LAYERS["commands"])
        assert reached <= {"plots"}, (module, reached)
    assert "results" not in nx.descendants(g, "plots")
