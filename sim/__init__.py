"""cxsim: an agent-based customer-experience simulator.

    from sim import Simulation, load_config
    result = Simulation(load_config(["journey=subscription"])).run()
    result.summary, result.daily, result.plot()
"""

import hashlib
import os
from importlib.metadata import version
from pathlib import Path

import numba


def _versioned_numba_cache() -> None:
    """Keep numba's compiled kernels in a folder per version of this package's source.

    numba keys its on-disk cache by each function's own file, so editing a mechanism in
    sim/experience.py would leave the kernels of sim/kernels.py that inline it stale.
    The digest covers the modules that compile numba code, so editing the others (the
    CLI, plots, reports) keeps the cache. A user's own NUMBA_CACHE_DIR wins.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    sources = [p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py"))]
    digest = hashlib.sha1(b"".join(s for s in sources if b"njit" in s)).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cxsim"
    numba.config.CACHE_DIR = str(base / f"numba-{digest}")


_versioned_numba_cache()

from sim.config import load_config  # noqa: E402  (after the cache folder is set)
from sim.errors import ConfigError, RunError  # noqa: E402
from sim.model import CXModel  # noqa: E402
from sim.results import Result  # noqa: E402
from sim.simulation import Simulation  # noqa: E402

__version__ = version("cxsim")
__all__ = [
    "CXModel", "ConfigError", "Result", "RunError", "Simulation", "__version__", "load_config",
]
