"""Support calls: customers at the support touchpoint call the service centre.

Each day, everybody visiting the touchpoint that `service_centre.touchpoint` names calls
the simpy service centre (sim.mechanisms.service_centre). What happens on the line becomes part of
the visit's experience: minutes on hold cost points on the time-and-effort pillar, an
abandoned or unanswered call and an unresolved issue cost points on the resolution
pillar, each weighed by the customer's segment like any other pillar. A customer whose
issue was not resolved calls again `callback_days` later. Agents cost money by the hour.

Staffing is a plan of agents per clock hour in agent-hours (a fraction is a part-time
shift), or `auto`: for each hour, the fewest agents that answer `service_level_target` of
calls within `service_level_seconds` by Erlang C, for the calls the day-0 customer base is
expected to make. `staffing_multiplier` scales every hour's agent-hours exactly (to the
agent-minute): 0.8 turns one agent into one for 48 minutes of each hour, so a cut is felt
at any size of centre and does not hinge on rounding.

The week: day 0 of a run is a Monday; Saturdays and Sundays (days 5 and 6 of each week)
use `weekend`, which sets their own opening hours, intraday arrival profile and staffing
(null: weekends are like weekdays). Problems arise every day, so the day's calls come
from the customers whatever the day; the weekend spreads them over its own hours.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from sim.config.schema import PILLARS, Flag, Num, check_section
from sim.errors import ConfigError
from sim.mechanisms.journey import Journey
from sim.mechanisms.service_centre import (
    DayResult,
    agent_minutes,
    arrival_times,
    draw_patiences,
    draw_service_times,
    erlang_c,
    simulate_day,
    validate_service_centre,
)
from sim.rng import uniform

LINK = {  # keys of the `service_centre` section that tie the centre to the customers
    "enabled": Flag(),
    "touchpoint": None,  # a touchpoint of the journey, checked against it
    "staffing_multiplier": Num(0.0, 10.0),
    "service_level_target": Num(0.0, 0.999),
    "effort_per_minute_waited": Num(0.0, 10.0),
    "abandon_resolution_loss": Num(0.0, 10.0),
    "unresolved_resolution_loss": Num(0.0, 10.0),
    "callback_days": Num(1, 365, integer=True),
    "hourly": Flag(),
    "weekend": None,  # null or a mapping of WEEKEND_KEYS, checked in from_config
}
WEEKEND_KEYS = ("open_hour", "close_hour", "arrival_profile", "staffing")
WEEKEND_DAYS = (5, 6)  # day % 7 of Saturday and Sunday: day 0 of a run is a Monday
AUTO_STAFFING_MAX_AGENTS = 100_000  # agents per hour that staffing=auto may plan, at most
MONITORS = (
    "calls",
    "answered",
    "abandoned",
    "unserved",
    "resolved",
    "mean_wait",
    "p90_wait",
    "service_level",
    "agent_occupancy",
    "agent_cost",
)
# draws of the `service` stream per caller and day
D_ARRIVAL, D_SERVICE, D_PATIENCE, D_RESOLVE = 0, 1, 2, 3


@njit(cache=True)
def uniforms_of(dkey, people, k):
    """Draw k of a stream-day key for each person in `people`."""
    out = np.empty(people.shape[0])
    for n in range(people.shape[0]):
        out[n] = uniform(dkey, people[n], k)
    return out


def expected_calls_per_day(journey: Journey, tp: int, customers: int, fcr: float) -> float:
    """Calls a base of `customers` makes per day, from the journey's absorbing Markov chain.

    Expected visits per repeat episode = s (I - Q)^-1 (s: repeat_start, Q: transitions
    between touchpoints); an episode of L visits recurs every max(interval, L) days (fixed)
    or L - 1 + interval days (random gaps); a call resolves with probability fcr, so an
    issue takes 1/fcr calls.
    """
    visits = journey.visits_per_episode()
    length = visits.sum()
    interval = journey.episode_interval_days
    cycle = max(interval, length) if journey.fixed_interval else length - 1 + interval
    return customers * visits[tp] / cycle / max(fcr, 0.05)


def auto_staffing(calls_per_day: float, centre: Mapping[str, Any], target: float) -> dict:
    """Fewest agents per open hour meeting the service-level target by Erlang C."""
    profile = centre["arrival_profile"]
    total = sum(profile.values())
    mu = 1.0 / centre["service_time"]["mean_seconds"]
    threshold = centre["service_level_seconds"]
    plan = {}
    for hour, weight in profile.items():
        lam = calls_per_day * weight / total / 3600.0
        agents = max(1, math.floor(lam / mu)) if lam > 0 else 0  # fewer cannot keep up
        while lam > 0:
            p_wait, _ = erlang_c(lam, mu, agents)
            level = 1.0 - p_wait * math.exp(-(agents * mu - lam) * threshold)
            if p_wait < 1.0 and level >= target:
                break
            if agents >= AUTO_STAFFING_MAX_AGENTS:  # a bound, so no input can loop for ever
                raise ConfigError(
                    f"service_centre.staffing=auto: no plan of up to {AUTO_STAFFING_MAX_AGENTS:,}"
                    f" agents at hour {hour} answers {target:g} of calls within {threshold:g} s"
                    " (service_centre.service_level_target); lower the target or give "
                    "service_centre.staffing as agents per hour"
                )
            agents += 1
        plan[hour] = agents
    return plan


def scale_staffing(plan: Mapping[int, float], multiplier: float) -> dict:
    """Scale every hour's agent-hours by the multiplier, to the agent-minute."""
    return {h: agent_minutes(a * multiplier) for h, a in plan.items()}


def _weekend_centre(weekend: Any, centre_in: Mapping[str, Any]) -> tuple[dict | None, bool]:
    """The weekend's centre (None when weekends are like weekdays) and whether it is auto."""
    if weekend is None:
        return None, False
    if not isinstance(weekend, Mapping):
        raise ConfigError(
            f"service_centre.weekend must be null or a mapping with keys {', '.join(WEEKEND_KEYS)}"
            f"; got {weekend!r}"
        )
    unknown = [str(k) for k in weekend if k not in WEEKEND_KEYS]
    missing = [k for k in WEEKEND_KEYS if k not in weekend]
    if unknown or missing:
        problem = f"unknown key {unknown[0]}" if unknown else f"missing key {missing[0]}"
        raise ConfigError(
            f"service_centre.weekend: {problem}; keys: {', '.join(WEEKEND_KEYS)}"
        )
    auto = weekend["staffing"] == "auto"
    merged = {k: v for k, v in centre_in.items() if k not in WEEKEND_KEYS}
    merged.update({k: v for k, v in weekend.items() if not (auto and k == "staffing")})
    try:
        return validate_service_centre(merged), auto
    except ConfigError as e:
        raise ConfigError(str(e).replace("service_centre.", "service_centre.weekend.", 1)) from None


@dataclass
class SupportCalls:
    """The service centre of one run: its staffing, its daily monitors, its effect on visits."""

    touchpoint: int
    centre: dict[str, Any]
    link: dict[str, Any]
    weekend: dict[str, Any] | None  # the centre on Saturdays and Sundays, None: as weekdays
    time_effort_weight: np.ndarray  # per segment
    resolution_weight: np.ndarray
    monitors: dict[str, np.ndarray]
    hourly: list[pd.DataFrame]
    segment_calls: np.ndarray  # calls made by each segment over the run

    def agent_cost_by_segment(self) -> np.ndarray:
        """The agents' pay over the run, apportioned to segments by their calls."""
        total = float(np.nansum(self.monitors["agent_cost"]))
        calls = self.segment_calls.sum()
        if calls == 0:
            return np.full(self.segment_calls.shape, total / self.segment_calls.size)
        return total * self.segment_calls / calls

    @classmethod
    def from_config(
        cls, section: Mapping[str, Any], journey: Journey, pillar_weights: np.ndarray,
        customers: int, days: int,
    ) -> "SupportCalls | None":
        if not isinstance(section, Mapping):
            raise ConfigError("service_centre must be a mapping")
        link_in = {k: section[k] for k in LINK if k in section}
        missing = [k for k in LINK if k not in section]
        if missing:
            raise ConfigError(f"missing key service_centre.{missing[0]}")
        link = check_section(
            "service_centre", {k: v for k, v in link_in.items() if LINK[k] is not None},
            {k: v for k, v in LINK.items() if v is not None},
        )
        name = link_in["touchpoint"]
        if link["enabled"] and name not in journey.names:
            raise ConfigError(
                f"service_centre.touchpoint: {name!r} is not a touchpoint of journey "
                f"{journey.name!r}; touchpoints: {', '.join(journey.names)}"
            )
        link["touchpoint"] = name
        centre_in = {k: v for k, v in section.items() if k not in LINK}
        auto = centre_in.get("staffing") == "auto"
        if auto:
            centre_in = {k: v for k, v in centre_in.items() if k != "staffing"}
        centre = validate_service_centre(centre_in)  # checked even when switched off
        weekend, weekend_auto = _weekend_centre(section["weekend"], centre_in)
        if not link["enabled"]:
            return None
        tp = journey.names.index(name)
        calls = expected_calls_per_day(journey, tp, customers, centre["first_contact_resolution"])
        for c, is_auto in ((centre, auto), (weekend, weekend_auto)):
            if c is None:
                continue
            if is_auto:
                c["staffing"] = auto_staffing(calls, c, link["service_level_target"])
            c["staffing"] = scale_staffing(c["staffing"], link["staffing_multiplier"])
        return cls(
            touchpoint=tp,
            centre=centre,
            link=link,
            weekend=weekend,
            time_effort_weight=pillar_weights[:, PILLARS.index("time_effort")].copy(),
            resolution_weight=pillar_weights[:, PILLARS.index("resolution")].copy(),
            monitors={m: np.full(days, np.nan) for m in MONITORS},
            hourly=[],
            segment_calls=np.zeros(pillar_weights.shape[0]),
        )

    def serve(self, day: int, key: np.uint64, state, shift: np.ndarray) -> np.ndarray:
        """Simulate today's calls; write their effect on the visit into `shift`.

        Returns the callers (person ids). Draws come from the `service` stream, per caller,
        so a scenario changing staffing meets the same callers with the same needs.
        """
        callers = np.flatnonzero(state.touchpoint == self.touchpoint)
        c = self.weekend if self.weekend is not None and day % 7 in WEEKEND_DAYS else self.centre
        u = {k: uniforms_of(key, callers, k) for k in range(4)}
        result: DayResult = simulate_day(
            arrival_times(callers.size, c, u[D_ARRIVAL]),
            draw_service_times(c, u[D_SERVICE]),
            draw_patiences(c, u[D_PATIENCE]),
            c,
            u[D_RESOLVE],
            hourly=self.link["hourly"],
        )
        seg = state.segment[callers]
        self.segment_calls += np.bincount(seg, minlength=self.segment_calls.size)
        effort = self.link["effort_per_minute_waited"] * result.wait_seconds / 60.0
        lost = ~result.answered
        loss = np.where(lost, self.link["abandon_resolution_loss"], 0.0) + np.where(
            result.answered & ~result.resolved, self.link["unresolved_resolution_loss"], 0.0
        )
        shift[callers] = -(self.time_effort_weight[seg] * np.minimum(effort, 10.0)
                           + self.resolution_weight[seg] * loss)
        again = callers[~result.resolved]
        state.callback_day[again] = day + self.link["callback_days"]
        m = result.monitors
        for name in MONITORS:
            self.monitors[name][day] = getattr(m, name)
        if result.hourly is not None:
            self.hourly.append(result.hourly.reset_index().assign(day=day))
        return callers

