"""One working day of an inbound call centre, simulated with simpy: arrivals in, monitors out.

The core simulator calls :func:`simulate_day` once per simulated day; a staffing study
calls the same function with its own arrivals. All randomness enters as uniforms or
draws made by the caller, so two runs sharing random numbers (common random numbers)
differ only by the policy being compared.

Semantics (times in seconds from opening; the day lasts ``close_hour - open_hour`` hours):

* Staffing: clock hour ``h`` has ``staffing[h]`` agents, in agent-hours: a fraction is a
  part-time shift, one more agent for that share of the hour, at its start (2.25 = two
  agents all hour and a third for the first 15 minutes). Fractions are kept to whole
  agent-minutes. The agent pool's capacity changes at hour boundaries and where a
  part-time shift ends. When it drops, busy agents finish their current call (overrun,
  reported as ``overrun_agent_seconds`` and not costed) and leave; nobody new is answered
  until fewer agents are busy than the new capacity.
* Queue: one FIFO queue; equal arrival times are ordered by input position.
* Abandonment: a caller hangs up when their patience runs out before being answered
  (their wait is then exactly their patience); patience ``inf`` never abandons.
* Hours without agents: callers wait for the next staffed hour (or abandon meanwhile).
* Closing: arrivals must fall inside the opening hours. At closing the line closes:
  callers still waiting are disconnected (``unserved``, wait = time until closing);
  calls in service are finished by their agent (overrun).

Every call ends as exactly one of answered, abandoned or unserved.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import simpy
from scipy.special import ndtri

from sim.errors import ConfigError

HOUR = 3600.0

# Illustrative weekday intraday curve, expressed as the expected calls per clock hour of a
# reference centre taking ~1,500 calls between 8:00 and 20:00. The shape (ramp-up from 7-8,
# peaks late morning and early afternoon, slight lunch dip, decline into the evening) is
# the typical one for inbound traffic (cf. the intraday curves in Gans, Koole & Mandelbaum
# 2003, "Telephone call centers: tutorial, review, and research prospects", MSOM 5(2));
# the numbers are not fitted to data. Only relative weights matter to arrival_times.
_REFERENCE_CALLS_PER_HOUR = {
    0: 5, 1: 3, 2: 2, 3: 2, 4: 2, 5: 3, 6: 8, 7: 25,
    8: 80, 9: 130, 10: 165, 11: 170, 12: 140, 13: 150, 14: 160, 15: 145,
    16: 125, 17: 100, 18: 70, 19: 50, 20: 35, 21: 25, 22: 15, 23: 10,
}  # fmt: skip

# Fewest agents per hour meeting 80/20 by Erlang C (exponential service, AHT 300 s) for
# the reference centre above: occupancy 0.6-0.8 in the open hours. Resize with erlang_c
# for another volume; tests pin that these meet the target.
_REFERENCE_STAFFING = {
    0: 2, 1: 2, 2: 1, 3: 1, 4: 1, 5: 2, 6: 2, 7: 4,
    8: 10, 9: 15, 10: 18, 11: 18, 12: 16, 13: 17, 14: 18, 15: 16,
    16: 14, 17: 12, 18: 9, 19: 7, 20: 5, 21: 4, 22: 3, 23: 3,
}  # fmt: skip

# Defaults of the Hydra section ``service_centre``. ``staffing`` and ``arrival_profile``
# cover the whole clock; when not given, validate_service_centre keeps the opening hours.
DEFAULT_SERVICE_CENTRE: dict[str, Any] = {
    "open_hour": 8,  # common 8:00-20:00 weekday opening (illustrative)
    "close_hour": 20,
    "staffing": _REFERENCE_STAFFING,  # agents per clock hour, sized as described above
    "service_time": {
        # Brown et al. 2005 (JASA 100:36-50) found call-centre service times near lognormal.
        "distribution": "lognormal",
        "mean_seconds": 300.0,  # AHT ~5-6 min in contact-centre benchmarks
        "sd_seconds": 120.0,  # assumption (CV 0.4); used by lognormal only
    },
    "patience": {
        # Exponential patience is the Erlang-A assumption (Garnett, Mandelbaum & Reiman 2002).
        "distribution": "exponential",
        "mean_seconds": 180.0,  # assumption: gives a few % abandons at 80/20 staffing
    },
    "first_contact_resolution": 0.75,  # industry-average FCR ~70-75% (SQM Group benchmarks)
    "service_level_seconds": 20.0,  # the 80/20 norm: 80% of calls answered within 20 s
    "arrival_profile": _REFERENCE_CALLS_PER_HOUR,  # relative weight per clock hour
    "agent_cost_per_hour": 25.0,  # illustrative loaded cost of one agent-hour (currency)
}

SERVICE_TIME_DISTRIBUTIONS = ("exponential", "lognormal", "fixed")
PATIENCE_DISTRIBUTIONS = ("exponential", "none")
_PREFIX = "service_centre"


# --------------------------------------------------------------------------- validation


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _int_in(key: str, value: Any, lo: int, hi: int) -> int:
    if not _is_integer(value) or not lo <= value <= hi:
        raise ConfigError(f"{_PREFIX}.{key} must be an integer in {lo}-{hi}; got {value!r}")
    return int(value)


def _number(
    key: str, value: Any, *, lo: float, hi: float = math.inf, lo_open: bool = False
) -> float:
    ok = _is_number(value) and math.isfinite(value) and value <= hi
    ok = ok and (value > lo if lo_open else value >= lo)
    if not ok:
        bound = f"> {lo:g}" if lo_open else f">= {lo:g}"
        allowed = (
            f"a number in [{lo:g}, {hi:g}]" if math.isfinite(hi) else f"a finite number {bound}"
        )
        raise ConfigError(f"{_PREFIX}.{key} must be {allowed}; got {value!r}")
    return float(value)


def _mapping(where: str, value: Any, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Merge a (sub-)section over its defaults, rejecting unknown keys; where = dotted path."""
    allowed = ", ".join(defaults)
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a mapping with keys {allowed}; got {value!r}")
    unknown = ", ".join(str(k) for k in value if k not in defaults)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed keys: {allowed}")
    return {**defaults, **value}


def _choice(key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{_PREFIX}.{key} must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)


def _hour_table(
    key: str, value: Mapping[Any, Any], open_hour: int, close_hour: int
) -> dict[int, Any]:
    """Hour-keyed table within the opening hours; keys may be ints or digit strings (YAML, CLI)."""
    table: dict[int, Any] = {}
    for raw_hour, entry in value.items():
        hour = (
            int(raw_hour) if isinstance(raw_hour, str) and raw_hour.strip().isdigit() else raw_hour
        )
        if not _is_integer(hour) or not 0 <= hour <= 23:
            raise ConfigError(f"{_PREFIX}.{key}: hour {raw_hour!r} must be an integer in 0-23")
        if not open_hour <= hour < close_hour:
            raise ConfigError(
                f"{_PREFIX}.{key}: hour {hour} is outside the opening hours "
                f"{open_hour}-{close_hour - 1} (open_hour={open_hour}, close_hour={close_hour})"
            )
        table[int(hour)] = entry
    return table


class _Checked(dict):
    """A section that validate_service_centre returned: the per-day calls skip re-checking."""


def validate_service_centre(cfg: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return a complete, normalised copy of the ``service_centre`` section.

    Fills defaults, rejects unknown keys and bad values with a ConfigError naming the dotted
    key. The result lists every opening hour in ``staffing`` (agents, 0 if not given) and
    ``arrival_profile`` (weight, 0 if not given); validating it again returns it unchanged.
    """
    if isinstance(cfg, _Checked):
        return cfg
    cfg = {} if cfg is None else cfg
    merged = _mapping(_PREFIX, cfg, DEFAULT_SERVICE_CENTRE)
    open_hour = _int_in("open_hour", merged["open_hour"], 0, 23)
    close_hour = _int_in("close_hour", merged["close_hour"], 1, 24)
    if close_hour <= open_hour:
        raise ConfigError(
            f"{_PREFIX}.close_hour must be greater than {_PREFIX}.open_hour; "
            f"got open_hour={open_hour}, close_hour={close_hour}"
        )
    hours = range(open_hour, close_hour)

    staffing_in = merged["staffing"]
    if "staffing" not in cfg:
        staffing_in = {h: staffing_in[h] for h in hours}
    if _is_number(staffing_in):
        staffing_in = dict.fromkeys(hours, staffing_in)
    if not isinstance(staffing_in, Mapping):
        raise ConfigError(
            f"{_PREFIX}.staffing must be a number >= 0 (agents) or a mapping hour -> agents; "
            f"got {staffing_in!r}"
        )
    staffing = dict.fromkeys(hours, 0)
    for hour, agents in _hour_table("staffing", staffing_in, open_hour, close_hour).items():
        if not _is_number(agents) or not 0 <= agents < math.inf:
            raise ConfigError(
                f"{_PREFIX}.staffing.{hour} must be a number >= 0 (agents; a fraction is a "
                f"part-time shift); got {agents!r}"
            )
        staffing[hour] = agent_minutes(agents)

    service = _mapping(
        f"{_PREFIX}.service_time", merged["service_time"], DEFAULT_SERVICE_CENTRE["service_time"]
    )
    service_time = {
        "distribution": _choice(
            "service_time.distribution", service["distribution"], SERVICE_TIME_DISTRIBUTIONS
        ),
        "mean_seconds": _number(
            "service_time.mean_seconds", service["mean_seconds"], lo=0.0, lo_open=True
        ),
        "sd_seconds": _number(
            "service_time.sd_seconds", service["sd_seconds"], lo=0.0, lo_open=True
        ),
    }
    patience_in = _mapping(
        f"{_PREFIX}.patience", merged["patience"], DEFAULT_SERVICE_CENTRE["patience"]
    )
    patience = {
        "distribution": _choice(
            "patience.distribution", patience_in["distribution"], PATIENCE_DISTRIBUTIONS
        ),
        "mean_seconds": _number(
            "patience.mean_seconds", patience_in["mean_seconds"], lo=0.0, lo_open=True
        ),
    }

    profile_in = merged["arrival_profile"]
    if not isinstance(profile_in, Mapping):
        raise ConfigError(
            f"{_PREFIX}.arrival_profile must be a mapping hour -> weight; got {profile_in!r}"
        )
    if "arrival_profile" not in cfg:
        profile_in = {h: profile_in[h] for h in hours}
    profile = dict.fromkeys(hours, 0.0)
    for hour, weight in _hour_table("arrival_profile", profile_in, open_hour, close_hour).items():
        profile[hour] = _number(f"arrival_profile.{hour}", weight, lo=0.0)
    if not any(profile.values()):
        raise ConfigError(
            f"{_PREFIX}.arrival_profile must give a positive weight to at least one opening hour "
            f"{open_hour}-{close_hour - 1}"
        )

    return _Checked(
        {
            "open_hour": open_hour,
            "close_hour": close_hour,
            "staffing": staffing,
            "service_time": service_time,
            "patience": patience,
            "first_contact_resolution": _number(
                "first_contact_resolution", merged["first_contact_resolution"], lo=0.0, hi=1.0
            ),
            "service_level_seconds": _number(
                "service_level_seconds", merged["service_level_seconds"], lo=0.0
            ),
            "arrival_profile": profile,
            "agent_cost_per_hour": _number(
                "agent_cost_per_hour", merged["agent_cost_per_hour"], lo=0.0
            ),
        }
    )


def agent_minutes(agents: float) -> int | float:
    """Agents of one hour kept to whole agent-minutes (an int when whole agents)."""
    minutes = round(agents * 60)
    return minutes // 60 if minutes % 60 == 0 else minutes / 60


def capacity_schedule(staffing: Mapping[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """Times (seconds from opening) at which the agent pool changes, and its size from then.

    Hour k with a agents has floor(a) agents all hour and one more for the first
    (a - floor(a)) of it: a part-time shift. Consecutive equal sizes are merged.
    """
    times, sizes = [], []
    for k, agents in enumerate(staffing.values()):
        whole = math.floor(agents)
        part = agents - whole
        steps = [(k * HOUR, whole + 1), ((k + part) * HOUR, whole)] if part > 0 else [
            (k * HOUR, whole)]
        for t, size in steps:
            if not sizes or sizes[-1] != size:
                times.append(t)
                sizes.append(size)
    return np.array(times), np.array(sizes, dtype=np.int64)


# --------------------------------------------------------------------------- random inputs


def _uniforms(u: Any, n: int | None = None) -> np.ndarray:
    u = np.asarray(u, dtype=float)
    if u.ndim != 1 or (n is not None and u.size != n):
        raise ValueError(
            f"u must be a 1-D array of {n if n is not None else 'n'} uniforms; got shape {u.shape}"
        )
    if not np.all((u >= 0.0) & (u < 1.0)):
        raise ValueError("u must lie in [0, 1)")
    return u


def arrival_times(n_calls: int, cfg: Mapping[str, Any], u: Any) -> np.ndarray:
    """Place ``n_calls`` calls over the opening hours by the arrival profile (seconds from opening).

    Inverse CDF of the piecewise-constant hourly profile, one uniform per call, so each call's
    time is monotone in its uniform (common random numbers carry over between scenarios).
    Given n, iid times with density proportional to the rate are exactly the arrival times of
    a time-varying Poisson process; draw n ~ Poisson(daily volume) for a Poisson day.
    Output order follows ``u``.
    """
    u = _uniforms(u, n_calls)
    cfg = validate_service_centre(cfg)
    weights = np.array(list(cfg["arrival_profile"].values()))
    cum = np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    slot = np.searchsorted(cum, u, side="right") - 1  # hours with zero weight are never chosen
    return (slot + (u - cum[slot]) / (cum[slot + 1] - cum[slot])) * HOUR


def draw_service_times(cfg: Mapping[str, Any], u: Any) -> np.ndarray:
    """Service times (seconds), one per uniform, by inverse CDF of ``service_time``."""
    u = _uniforms(u)
    spec = validate_service_centre(cfg)["service_time"]
    mean = spec["mean_seconds"]
    if spec["distribution"] == "exponential":
        return -mean * np.log1p(-u)
    if spec["distribution"] == "lognormal":
        sigma2 = math.log1p((spec["sd_seconds"] / mean) ** 2)
        return np.exp(math.log(mean) - sigma2 / 2 + math.sqrt(sigma2) * ndtri(u))
    return np.full(u.size, mean)


def draw_patiences(cfg: Mapping[str, Any], u: Any) -> np.ndarray:
    """Patience (seconds before hanging up), one per uniform; ``inf`` when patience is ``none``."""
    u = _uniforms(u)
    spec = validate_service_centre(cfg)["patience"]
    if spec["distribution"] == "none":
        return np.full(u.size, np.inf)
    return -spec["mean_seconds"] * np.log1p(-u)


# --------------------------------------------------------------------------- simulation

_WAITING, _ANSWERED, _ABANDONED = 0, 1, 2  # calls still waiting at closing become unserved


@dataclass(frozen=True)
class DayMonitors:
    """Monitors of one day (the hourly table has the same columns but overrun, plus agents).

    mean_wait / p90_wait: average speed of answer and the 90th percentile of wait (numpy's
    linear interpolation) over answered calls; NaN without answered calls.
    service_level: calls answered within service_level_seconds / all calls (abandoned and
    unserved calls count as misses, short abandons included); NaN without calls.
    agent_occupancy: busy agent-seconds within staffed capacity / staffed agent-seconds
    (NaN without staffing). agent_cost: staffed agent-hours x agent_cost_per_hour.
    overrun_agent_seconds: talk time above the staffed capacity (after a shift ends or
    after closing); neither in occupancy nor in cost.
    """

    calls: int
    answered: int
    abandoned: int
    unserved: int
    resolved: int
    mean_wait: float
    p90_wait: float
    service_level: float
    agent_occupancy: float
    staffed_agent_hours: float
    agent_cost: float
    overrun_agent_seconds: float


@dataclass(frozen=True)
class DayResult:
    """Per-call outcomes aligned with the input order, plus the day's monitors."""

    wait_seconds: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    unserved: np.ndarray
    resolved: np.ndarray
    monitors: DayMonitors
    hourly: pd.DataFrame | None = None


class _Centre:
    """Agent pool and FIFO queue driven by simpy event callbacks.

    Callbacks instead of one process per caller: a call costs one arrival event, one
    service-end event if answered and one patience timer if it has to queue, which is
    about a third of the events of the Resource/process idiom. Abandoned callers stay in
    the deque and are skipped when reached.
    """

    def __init__(
        self,
        env: simpy.Environment,
        arrivals: list[float],
        service: list[float],
        patience: list[float],
        order: list[int],
        capacity: int,
    ) -> None:
        self.env = env
        self.arrivals = arrivals
        self.service = service
        self.patience = patience
        self.order = order
        self.next = 0
        self.capacity = capacity
        self.busy = 0
        self.queue: deque[int] = deque()
        self.outcome = [_WAITING] * len(arrivals)
        self.answer_time = [math.nan] * len(arrivals)

    def schedule_next_arrival(self) -> None:
        if self.next < len(self.order):
            i = self.order[self.next]
            self.next += 1
            self.env.timeout(max(self.arrivals[i] - self.env.now, 0.0), i).callbacks.append(
                self.arrive
            )

    def arrive(self, event: simpy.Event) -> None:
        i = event.value
        self.schedule_next_arrival()
        if self.busy < self.capacity:  # the queue is then empty (dispatch drains it)
            self.answer(i, self.arrivals[i])
            return
        self.queue.append(i)
        if self.patience[i] < math.inf:
            self.env.timeout(self.patience[i], i).callbacks.append(self.renege)

    def answer(self, i: int, at: float) -> None:
        self.busy += 1
        self.outcome[i] = _ANSWERED
        self.answer_time[i] = at
        self.env.timeout(self.service[i]).callbacks.append(self.finish)

    def finish(self, _event: simpy.Event) -> None:
        self.busy -= 1
        self.dispatch()

    def renege(self, event: simpy.Event) -> None:
        if self.outcome[event.value] == _WAITING:
            self.outcome[event.value] = _ABANDONED

    def restaff(self, event: simpy.Event) -> None:
        self.capacity = event.value
        self.dispatch()

    def dispatch(self) -> None:
        queue = self.queue
        while queue and self.busy < self.capacity:
            i = queue.popleft()
            if self.outcome[i] == _WAITING:
                self.answer(i, self.env.now)


def _as_vector(name: str, values: Any, n: int) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.shape != (n,):
        raise ValueError(
            f"{name} must be a 1-D array aligned with arrivals ({n} calls); got shape {array.shape}"
        )
    return array


def _summary(
    wait: np.ndarray,
    answered: np.ndarray,
    abandoned: np.ndarray,
    unserved: np.ndarray,
    resolved: np.ndarray,
    threshold: float,
) -> dict[str, Any]:
    waits = wait[answered]
    calls = wait.size
    return {
        "calls": calls,
        "answered": int(answered.sum()),
        "abandoned": int(abandoned.sum()),
        "unserved": int(unserved.sum()),
        "resolved": int(resolved.sum()),
        "mean_wait": float(waits.mean()) if waits.size else math.nan,
        "p90_wait": float(np.percentile(waits, 90)) if waits.size else math.nan,
        "service_level": float((waits <= threshold).sum() / calls) if calls else math.nan,
    }


def _busy_seconds(
    start: np.ndarray, end: np.ndarray, hours: int, change_times: np.ndarray,
    sizes: np.ndarray,
) -> tuple[np.ndarray, float]:
    """Busy agent-seconds within staffed capacity per opening hour, and overrun agent-seconds.

    Integrates min(busy, capacity) and max(busy - capacity, 0) over the step function of
    busy agents; hour boundaries and capacity changes are breakpoints so every segment
    lies in one hour with one capacity.
    """
    marks = np.concatenate([np.arange(hours + 1) * HOUR, change_times])
    times = np.concatenate([start, end, marks])
    steps = np.concatenate([np.ones(start.size), -np.ones(end.size), np.zeros(marks.size)])
    order = np.argsort(times, kind="stable")
    times = times[order]
    busy = np.cumsum(steps[order])[:-1]
    dt = np.diff(times)
    hour = np.minimum(times[:-1] // HOUR, hours).astype(np.intp)  # index `hours` = after closing
    segment = np.searchsorted(change_times, times[:-1], side="right") - 1
    cap = np.where(hour < hours, sizes[np.maximum(segment, 0)], 0)
    within = np.bincount(hour, weights=np.minimum(busy, cap) * dt, minlength=hours + 1)[:hours]
    overrun = float((np.maximum(busy - cap, 0.0) * dt).sum())
    return within, overrun


def simulate_day(
    arrivals: Any,
    service_times: Any,
    patiences: Any,
    cfg: Mapping[str, Any] | None,
    resolve_uniforms: Any,
    *,
    hourly: bool = False,
) -> DayResult:
    """Simulate one day of the call centre (see the module docstring for the semantics).

    arrivals: seconds from opening, within the opening hours, any order. service_times and
    patiences (``inf`` = never abandons) are per call, aligned with arrivals; sample them with
    :func:`draw_service_times` / :func:`draw_patiences` or bring your own. An answered call is
    resolved when its resolve uniform is below first_contact_resolution. ``hourly=True``
    adds a DataFrame indexed by clock hour: call counts and waits by arrival hour,
    occupancy and cost by clock hour.
    """
    cfg = validate_service_centre(cfg)
    arrival = np.asarray(arrivals, dtype=float)
    if arrival.ndim != 1:
        raise ValueError(f"arrivals must be a 1-D array; got shape {arrival.shape}")
    n = arrival.size
    service = _as_vector("service_times", service_times, n)
    patience = _as_vector("patiences", patiences, n)
    resolve_u = _as_vector("resolve_uniforms", resolve_uniforms, n)
    capacity = np.array(list(cfg["staffing"].values()), dtype=float)
    day_length = capacity.size * HOUR
    if not np.all((arrival >= 0.0) & (arrival < day_length)):
        raise ValueError(
            f"arrivals must lie in [0, {day_length:g}) seconds from opening (the opening hours)"
        )
    if not np.all((service >= 0.0) & np.isfinite(service)):
        raise ValueError("service_times must be finite and >= 0")
    if not np.all(patience >= 0.0):
        raise ValueError("patiences must be >= 0 (inf = never abandons)")
    if not np.all((resolve_u >= 0.0) & (resolve_u <= 1.0)):
        raise ValueError("resolve_uniforms must lie in [0, 1]")

    env = simpy.Environment()
    change_times, sizes = capacity_schedule(cfg["staffing"])
    centre = _Centre(
        env,
        arrival.tolist(),
        service.tolist(),
        patience.tolist(),
        np.argsort(arrival, kind="stable").tolist(),
        int(sizes[0]),
    )
    # Staffing changes are scheduled before any arrival, so at equal times they act first.
    for t, size in zip(change_times[1:].tolist(), sizes[1:].tolist(), strict=True):
        env.timeout(t, size).callbacks.append(centre.restaff)
    centre.schedule_next_arrival()
    env.run(until=day_length)  # events at closing time and later cannot change any outcome

    outcome = np.array(centre.outcome, dtype=np.int8)
    answer_time = np.array(centre.answer_time)
    answered = outcome == _ANSWERED
    abandoned = outcome == _ABANDONED
    unserved = outcome == _WAITING
    wait = np.where(
        answered, np.maximum(answer_time - arrival, 0.0), np.where(abandoned, patience, 0.0)
    )
    wait[unserved] = day_length - arrival[unserved]
    resolved = answered & (resolve_u < cfg["first_contact_resolution"])

    start = answer_time[answered]
    busy, overrun = _busy_seconds(start, start + service[answered], capacity.size,
                                  change_times, sizes)
    staffed = capacity * HOUR
    cost_rate = cfg["agent_cost_per_hour"]
    threshold = cfg["service_level_seconds"]
    monitors = DayMonitors(
        **_summary(wait, answered, abandoned, unserved, resolved, threshold),
        agent_occupancy=float(busy.sum() / staffed.sum()) if staffed.sum() else math.nan,
        staffed_agent_hours=float(capacity.sum()),
        agent_cost=float(capacity.sum() * cost_rate),
        overrun_agent_seconds=overrun,
    )

    table = None
    if hourly:
        arrival_hour = (arrival // HOUR).astype(np.intp)
        rows = []
        for k, hour in enumerate(cfg["staffing"]):
            sel = arrival_hour == k
            rows.append(
                {
                    "hour": hour,
                    "agents": float(capacity[k]),
                    **_summary(
                        wait[sel],
                        answered[sel],
                        abandoned[sel],
                        unserved[sel],
                        resolved[sel],
                        threshold,
                    ),
                    "agent_occupancy": busy[k] / staffed[k] if staffed[k] else math.nan,
                    "staffed_agent_hours": float(capacity[k]),
                    "agent_cost": float(capacity[k] * cost_rate),
                }
            )
        table = pd.DataFrame(rows).set_index("hour")
    return DayResult(wait, answered, abandoned, unserved, resolved, monitors, table)


# --------------------------------------------------------------------------- Erlang C


def erlang_c(arrival_rate: float, service_rate: float, agents: int) -> tuple[float, float]:
    """Probability of waiting and mean wait (in the rates' time unit) of an M/M/c queue.

    Uses the Erlang B recursion B(k) = aB(k-1) / (k + aB(k-1)), which stays within [0, 1]
    for any number of agents (no factorials or powers that overflow), then
    C = cB / (c - a(1 - B)) and Wq = C / (c mu - lambda). An overloaded or unstaffed queue
    (load >= agents) returns (1.0, inf).
    """
    if not (_is_number(arrival_rate) and math.isfinite(arrival_rate) and arrival_rate >= 0):
        raise ValueError(f"arrival_rate must be a finite number >= 0; got {arrival_rate!r}")
    if not (_is_number(service_rate) and math.isfinite(service_rate) and service_rate > 0):
        raise ValueError(f"service_rate must be a finite number > 0; got {service_rate!r}")
    if not (_is_integer(agents) and agents >= 0):
        raise ValueError(f"agents must be an integer >= 0; got {agents!r}")
    if arrival_rate == 0:
        return 0.0, 0.0
    load = arrival_rate / service_rate
    if load >= agents:
        return 1.0, math.inf
    blocking = 1.0
    for k in range(1, int(agents) + 1):
        blocking = load * blocking / (k + load * blocking)
    p_wait = agents * blocking / (agents - load * (1.0 - blocking))
    return p_wait, p_wait / (agents * service_rate - arrival_rate)
