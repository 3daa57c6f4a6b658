"""The short way in: `Simulation(cfg).run()` returns a Result with tables, summary and plots."""

from collections.abc import Mapping, Sequence
from typing import Any

from omegaconf import DictConfig

from sim.config import load_config, to_plain
from sim.model import CXModel
from sim.results import Result


class Simulation:
    """One run of the model for one config and seed.

    cfg: a config composed from `configs/` (sim.load_config, or Hydra's in the CLI);
    None means the default config with `overrides` applied.
    """

    def __init__(
        self, cfg: Mapping[str, Any] | DictConfig | None = None, overrides: Sequence[str] = ()
    ) -> None:
        if cfg is None:
            cfg = load_config(overrides)
        elif overrides:
            raise ValueError("pass either cfg or overrides, not both")
        self.model = CXModel(to_plain(cfg))

    def run(self) -> Result:
        """Simulate every day and collect the results."""
        model = self.model
        while model.running and model.day < model.days:
            model.step()
        return Result.from_model(model)
