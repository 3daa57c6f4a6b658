"""What-if scenarios: Hydra config overlays in `configs/scenario/`, picked with `scenario=NAME`.

A scenario file is a `# @package _global_` overlay on the baseline: it changes a few keys
anywhere in the config and states its cost (`money.cx_investment_per_day`, charged in
profit every day, and `scenario.one_off_cost`), so a comparison can compute its return on
investment. `scenario.journey` names the journey whose touchpoints it changes (or `any`).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.config import CONFIG_DIR, load_config
from sim.errors import ConfigError
from sim.footprint import check_memory
from sim.journey import Journey
from sim.params import PILLARS, validate
from sim.support_calls import SupportCalls

SCENARIO_DIR = CONFIG_DIR / "scenario"


def available_scenarios() -> list[str]:
    """Names of the scenarios shipped in configs/scenario/."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


@dataclass(frozen=True)
class Scenario:
    """A scenario of a comparison: a name and the overrides that make it.

    `Scenario.named("loyalty_programme")` is the overlay configs/scenario/loyalty_programme.yaml;
    `Scenario("cheaper_support", ("journey.touchpoints.support.cost=5",))` is an ad-hoc one
    on top of the baseline.
    """

    name: str
    overrides: tuple[str, ...] = ()

    @classmethod
    def named(cls, name: str) -> "Scenario":
        known = available_scenarios()
        if name not in known:
            raise ConfigError(f"unknown scenario {name!r}; scenarios: {', '.join(known)}")
        return cls(name, (f"scenario={name}",))

    @classmethod
    def of(cls, spec: "str | Scenario") -> "Scenario":
        return spec if isinstance(spec, Scenario) else cls.named(spec)


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
    return check_config(load_config([*overrides, *scenario.overrides]))
