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

# the subpackages, lowest first: each imports only the base modules and those before it
LAYERS = ("config", "mechanisms", "engine", "analysis", "studies", "app")
COMPILED_LAYERS = LAYERS[:3]  # where numba-compiled code and what it reads live


def _versioned_numba_cache() -> None:
    """Keep numba's compiled kernels in a folder per version of the source they compile from.

    numba keys its on-disk cache by each function's own file, so editing a mechanism in
    sim/mechanisms/experience.py would leave the kernels of sim/engine/kernels.py that
    inline it stale, and a constant a kernel reads from sim/config/schema.py is frozen into
    it. The digest covers every source file, with its path, of the layers that compiled code
    can reach (the base modules, config, mechanisms and engine), so a moved or edited kernel
    never runs stale, while editing the analysis, studies or commands keeps the cache.
    A user's own NUMBA_CACHE_DIR wins.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    root = Path(__file__).parent
    digest = hashlib.sha1()
    for layer in (".", *COMPILED_LAYERS):
        for path in sorted((root / layer).glob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cxsim"
    numba.config.CACHE_DIR = str(base / f"numba-{digest.hexdigest()[:16]}")


_versioned_numba_cache()

from sim.analysis.results import Result  # noqa: E402
from sim.config import load_config  # noqa: E402  (after the cache folder is set)
from sim.engine.model import CXModel  # noqa: E402
from sim.errors import ConfigError, RunError  # noqa: E402
from sim.simulation import Simulation  # noqa: E402

__version__ = version("cxsim")
__all__ = [
    "CXModel", "ConfigError", "Result", "RunError", "Simulation", "__version__", "load_config",
]
