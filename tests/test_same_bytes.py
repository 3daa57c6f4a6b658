"""Same config and seed, same bytes, figures included: every plot of a run is byte-identical
across processes, whatever Python's string-hash seed (which orders sets of names)."""

import hashlib
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

SCRIPT = """
import sys
from sim import Simulation, load_config
r = Simulation(load_config(["population.customers=300", "population.prospects=100",
                            "days=20"])).run()
r.plot(sys.argv[1])
"""


def _digests(tmp_path, hash_seed: str) -> dict[str, str]:
    out = tmp_path / f"run-{hash_seed}"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "MPLBACKEND": "Agg"}
    subprocess.run([sys.executable, "-c", SCRIPT, str(out)], capture_output=True, env=env,
                   timeout=600, check=True)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((out / "plots").glob("*.png"))}


def test_plots_are_the_same_bytes_in_two_processes(tmp_path):
    first, second = _digests(tmp_path, "1"), _digests(tmp_path, "2")
    assert "journey_map.png" in first
    assert first == second
