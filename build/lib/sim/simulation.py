"""The short way in: `Simulation(cfg).run()` returns a Result with tables, summary and plots."""

from collections.abc import Mapping, Sequence
from typing import Any

from omegaconf import DictConfig
from tqdm import tqdm

from sim.analysis.results import Result
from sim.config import load_config, to_plain
from sim.engine.model import CXModel
from sim.errors import RunError


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

    def run(self, progress: bool | None = False) -> Result:
        """Simulate every day and collect the results.

        progress: a progress bar of the days on stderr; None shows it only on a terminal.
        """
        model = self.model
        disable = None if progress is None else not progress
        bar = tqdm(total=model.days, initial=model.day, unit="day", desc="cxsim", disable=disable)
        with bar:
            while model.running and model.day < model.days:
                day = model.day
                model.step()
                if model.day == day:  # Mesa stops scheduling a model whose step raised
                    raise RunError(
                        f"the run stopped part-way through day {day} (an interrupted or failed "
                        "step) and cannot go on from there; start a new Simulation"
                    )
                bar.update(1)
        return Result.from_model(model)
