"""Peak memory of a run against sim.config.footprint's estimate, per person.

Each market size runs in a fresh process (peak resident memory is per process): a small
warm-up run first (numba's compiled code, imports), then the measured run, which builds
the model, simulates 30 days, makes the result tables and writes them. Printed: people,
the increase of the peak over the warm process, per person, and the estimate.

    .venv/bin/python experiments/bench_memory.py [people ...]
"""

import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, tempfile
from sim import Simulation
from sim.config import load_config
from sim.config.footprint import estimate_bytes
from sim.config.schema import validate

def config(n, extra):
    return load_config([f"population.customers={n // 2}", f"population.prospects={n - n // 2}",
                        "days=30", "output.plots=false", *extra])

n, extra = int(sys.argv[1]), sys.argv[2:]
warm = Simulation(config(2000, extra)).run()
with tempfile.TemporaryDirectory() as d:
    warm.save(d)
del warm
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
cfg = config(n, extra)
result = Simulation(cfg).run()
with tempfile.TemporaryDirectory() as d:
    result.save(d)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"people": n, "measured": peak - base, "estimate": estimate_bytes(validate(cfg))}))
"""

CASES = {
    "small_world, no handles": ["population.agent_handles=none"],
    "fully_mixed, no handles": ["population.agent_handles=none", "network.kind=fully_mixed"],
    "small_world, Mesa handles": ["population.agent_handles=all"],
}


def main() -> None:
    sizes = [int(x) for x in sys.argv[1:]] or [400_000, 1_600_000]
    print(f"{'case':<28} {'people':>10} {'measured MB':>12} {'B/person':>9} {'estimate MB':>12}")
    for name, extra in CASES.items():
        for n in sizes:
            out = subprocess.run([sys.executable, "-c", CHILD, str(n), *extra], check=True,
                                 capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"{name:<28} {n:>10,} {r['measured'] / 2**20:>12.0f} "
                  f"{r['measured'] / n:>9.0f} {r['estimate'] / 2**20:>12.0f}")


if __name__ == "__main__":
    main()
