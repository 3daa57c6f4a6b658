"""cxsim: an agent-based customer-experience simulator.

    from sim import Simulation, load_config
    result = Simulation(load_config(["journey=subscription"])).run()
    result.summary, result.daily, result.plot()
"""

from importlib.metadata import version

from sim.config import load_config
from sim.errors import ConfigError
from sim.model import CXModel
from sim.results import Result
from sim.simulation import Simulation

__version__ = version("cxsim")
__all__ = ["CXModel", "ConfigError", "Result", "Simulation", "__version__", "load_config"]
