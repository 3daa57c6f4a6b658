"""What-if scenarios: Hydra config overlays in `configs/scenario/`, picked with `scenario=NAME`.

A scenario file is a `# @package _global_` overlay on the baseline: it changes a few keys
anywhere in the config and states its cost (`money.cx_investment_per_day`, charged in
profit every day, and `scenario.one_off_cost`), so a comparison can compute its return on
investment. `scenario.journey` names the journey whose touchpoints it changes (or `any`).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import CONFIG_DIR, load_config
from sim.config.footprint import check_memory
from sim.config.schema import PILLARS, validate
from sim.errors import ConfigError
from sim.mechanisms.journey import Journey
from sim.mechanisms.support_calls import SupportCalls

SCENARIO_DIR = CONFIG_DIR / "scenario"


def search_dirs(overrides: Sequence[str]) -> list[Path]:
    """The config folders an override `hydra.searchpath=[file:///a,file:///b]` adds."""
    dirs = []
    for item in overrides:
        if item.split("=", 1)[0].strip().lstrip("+") == "hydra.searchpath" and "=" in item:
            for entry in item.split("=", 1)[1].strip().strip("[]").split(","):
                entry = entry.strip().strip("'\"")
                if entry.startswith("file://"):
                    dirs.append(Path(entry[len("file://"):]))
    return dirs


def available_scenarios(overrides: Sequence[str] = ()) -> list[str]:
    """Names of the scenarios in configs/scenario/ and in `scenario/` of each search-path folder."""
    folders = [SCENARIO_DIR, *(d / "scenario" for d in search_dirs(overrides))]
    return sorted({p.stem for f in folders for p in f.glob("*.yaml")})


@dataclass(frozen=True)
class Scenario:
    """A scenario of a comparison: a name and the overrides that make it.

    `Scenario.named("loyalty_programme")` is the overlay configs/scenario/loyalty_programme.yaml;
    `Scenario("cheaper_support", ("journey.touchpoints.support.cost=5",), cost_per_day=0,
    one_off_cost=2000)` is an ad-hoc one on top of the baseline. A scenario file states its
    costs; an ad-hoc scenario without cost_per_day and one_off_cost has its cost "not
    stated" (reported so, never as a free lunch, and without an ROI).
    """

    name: str
    overrides: tuple[str, ...] = ()
    cost_per_day: float | None = None
    one_off_cost: float | None = None

    @classmethod
    def named(cls, name: str, overrides: Sequence[str] = ()) -> "Scenario":
        """A scenario file, from configs/scenario/ or Hydra's search path (in overrides)."""
        known = available_scenarios(overrides)
        if name not in known:
            raise ConfigError(f"unknown scenario {name!r}; scenarios: {', '.join(known)}")
        return cls(name, (f"scenario={name}",))

    @classmethod
    def of(cls, spec: "str | Scenario", overrides: Sequence[str] = ()) -> "Scenario":
        return spec if isinstance(spec, Scenario) else cls.named(spec, overrides)

    @classmethod
    def parse(cls, text: str, cost_per_day: float | None = None,
              one_off_cost: float | None = None) -> "Scenario":
        """An inline what-if: `'name: key=value key=value'` (the CLI's --what-if)."""
        name, sep, rest = text.partition(":")
        name = name.strip()
        items = tuple(rest.split())
        if not sep or not name.isidentifier() or not items:
            raise ConfigError(
                f"--what-if must be 'name: key=value [key=value ...]' with a name of letters, "
                f"digits and _; got {text!r}")
        bad = [i for i in items if "=" not in i]
        if bad:
            raise ConfigError(f"--what-if {name}: {bad[0]!r} is not key=value")
        return cls(name, items, cost_per_day, one_off_cost)

    @property
    def named_file(self) -> bool:
        return any(o.startswith("scenario=") for o in self.overrides)

    @property
    def cost_stated(self) -> bool:
        return self.named_file or self.cost_per_day is not None or self.one_off_cost is not None

    @property
    def config_overrides(self) -> tuple[str, ...]:
        """Its overrides with its stated costs as config keys (unstated costs are left at 0)."""
        costs = []
        if self.cost_per_day is not None:
            costs.append(f"money.cx_investment_per_day={self.cost_per_day:g}")
        if self.one_off_cost is not None:
            costs.append(f"scenario.one_off_cost={self.one_off_cost:g}")
        return (*self.overrides, *costs)


def check_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Every check a run makes before simulating (parameters, journey map, service centre,
    memory); the valid config."""
    checked = validate(cfg)
    journey = Journey.from_config(checked["journey"])
    weights = np.full((1, len(PILLARS)), 1.0 / len(PILLARS))  # the section's checks, not a run's
    SupportCalls.from_config(
        checked["service_centre"], journey, weights, checked["population"]["customers"], 1
    )
    check_memory(checked)  # a sweep or comparison whose runs cannot fit stops before any
    return checked


def scenario_config(scenario: Scenario, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The checked config of a scenario with the overrides common to a comparison applied."""
    return check_config(load_config([*overrides, *scenario.config_overrides]))
