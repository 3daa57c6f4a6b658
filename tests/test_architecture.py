"""The package's layers, read from the package itself: `sim.LAYERS` orders the subpackages
(config, mechanisms, engine, analysis, studies, app), and a module may import the base modules
at the top of `sim/` (errors, rng, files), its own subpackage and those before it, never one
after it. `sim/simulation.py`, the short way in, sits above analysis and below studies.

Every import counts, those inside functions too (a lazy import is still a dependency);
imports under `if TYPE_CHECKING:` are for type checkers only and do not.
"""

import ast
from pathlib import Path

import networkx as nx

import sim

SIM = Path(sim.__file__).resolve().parent
SIMULATION_RANK = sim.LAYERS.index("analysis") + 1.5  # above analysis, below studies


def _imports(path: Path) -> set[str]:
    """The sim modules a file imports, as dotted names below `sim` ("engine.model")."""
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
            found.add(node.module.removeprefix("sim."))
            found.update(f"{node.module.removeprefix('sim.')}.{a.name}" for a in node.names
                         if (SIM / node.module.removeprefix("sim.") / f"{a.name}.py").exists())
        elif isinstance(node, ast.ImportFrom) and node.module == "sim":
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("sim.") for a in node.names
                         if a.name.startswith("sim."))
    return found


def _name(path: Path) -> str:
    rel = path.relative_to(SIM).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def _rank(module: str) -> float:
    top = module.split(".")[0]
    if top in sim.LAYERS:
        return 1 + sim.LAYERS.index(top)
    return SIMULATION_RANK if top == "simulation" else 0  # errors, rng, files: the base


def _graph() -> nx.DiGraph:
    g = nx.DiGraph()
    for path in SIM.rglob("*.py"):
        name = _name(path)
        if name:  # sim/__init__.py is the public face: it may import from every layer
            g.add_node(name)
            g.add_edges_from((name, other) for other in _imports(path) if other != name)
    return g


def test_every_module_lives_in_a_layer_or_is_a_base_module():
    top_level = {p.stem for p in SIM.glob("*.py")} - {"__init__"}
    assert top_level == {"errors", "rng", "files", "simulation"}
    packages = {p.name for p in SIM.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(sim.LAYERS)


def test_no_module_imports_a_later_layer():
    g = _graph()
    wrong = [(a, b) for a, b in g.edges if _rank(b) > _rank(a)]
    assert wrong == []


def test_no_import_cycles():
    g = _graph()
    modules = g.subgraph(n for n in g if "." in n or _rank(n) in (0, SIMULATION_RANK))
    assert list(nx.simple_cycles(modules)) == []


def test_plots_never_import_results():
    """`Result.plot()` imports sim.analysis.plots when called (as Covasim's `sim.plot()`);
    plots name Result for type checkers only, so the two make no cycle."""
    g = _graph()
    assert "analysis.plots" in nx.descendants(g, "analysis.results")
    assert "analysis.results" not in nx.descendants(g, "analysis.plots")
