"""Speed of sim.mechanisms.service_centre: microseconds per call for a busy day and for bare M/M/c.

Timings, best of ``--repeats`` runs each (wall clock, one core):

1. busy day: default 8-20 profile and distributions (lognormal service, exponential
   patience), staffing sized hour by hour for ~85% occupancy, ``--calls`` calls;
   simulate_day including validation and monitors (and with ``hourly=True``). Large pools
   at 85% hardly queue, so the same day is also timed with agents = offered load
   (overloaded: long queues, many abandons, a patience timer per queued call).
2. M/M/c with simulate_day: constant rate over a 24-hour day, exponential service,
   constant staffing at ~85% occupancy, no abandonment.
3. the same M/M/c arrivals and service times in the textbook simpy idiom (one process per
   caller, ``simpy.Resource``), as the reference for what simpy costs per call.

Run: .venv/bin/python experiments/bench_service_centre.py [--calls 50000] [--repeats 5]
"""

import argparse
import math
import time
from collections.abc import Callable

import numpy as np
import simpy

from sim.mechanisms.service_centre import (
    HOUR,
    arrival_times,
    draw_patiences,
    draw_service_times,
    simulate_day,
    validate_service_centre,
)

TARGET_OCCUPANCY = 0.85


def best_seconds(run: Callable[[], object], repeats: int) -> float:
    """Best wall time of several runs: the least disturbed by other load on the machine."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def report(label: str, seconds: float, calls: int) -> None:
    print(f"{label:<44} {seconds * 1e6 / calls:7.2f} us/call {calls / seconds:10,.0f} calls/s")


def mmc_simpy(arrivals: np.ndarray, service: np.ndarray, agents: int) -> np.ndarray:
    """Textbook simpy M/M/c: a source process, one process per caller, a Resource; returns waits."""
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=agents)
    waits = np.empty(arrivals.size)

    def caller(i: int, arrived: float, duration: float):
        with desk.request() as request:
            yield request
            waits[i] = env.now - arrived
            yield env.timeout(duration)

    def source():
        for i, (arrived, duration) in enumerate(
            zip(arrivals.tolist(), service.tolist(), strict=True)
        ):
            yield env.timeout(arrived - env.now)
            env.process(caller(i, arrived, duration))

    env.process(source())
    env.run()
    return waits


def profile_day(
    n: int, occupancy: float, label: str, rng: np.random.Generator, repeats: int
) -> None:
    """Time a default-profile day whose hourly staffing is the offered load / occupancy."""
    base = validate_service_centre({})
    weights = np.array(list(base["arrival_profile"].values()))
    load = n * weights / weights.sum() * base["service_time"]["mean_seconds"] / HOUR  # Erlangs
    staffing = {
        hour: math.ceil(erlangs / occupancy)
        for hour, erlangs in zip(base["arrival_profile"], load, strict=True)
    }
    cfg = validate_service_centre({"staffing": staffing})
    arrivals = np.sort(arrival_times(n, cfg, rng.random(n)))
    service = draw_service_times(cfg, rng.random(n))
    patience = draw_patiences(cfg, rng.random(n))
    resolve = rng.random(n)
    day = simulate_day(arrivals, service, patience, cfg, resolve).monitors
    print(
        f"{label}: {n} calls, {min(staffing.values())}-{max(staffing.values())} agents, "
        f"occupancy {day.agent_occupancy:.3f}, service level {day.service_level:.3f}, "
        f"abandoned {day.abandoned / n:.1%}, ASA {day.mean_wait:.1f} s"
    )
    report(
        f"simulate_day, {label}",
        best_seconds(lambda: simulate_day(arrivals, service, patience, cfg, resolve), repeats),
        n,
    )
    report(
        f"simulate_day, {label}, hourly=True",
        best_seconds(
            lambda: simulate_day(arrivals, service, patience, cfg, resolve, hourly=True), repeats
        ),
        n,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    n = args.calls
    rng = np.random.default_rng(args.seed)

    # 1. Default profile, staffed hour by hour for ~85% occupancy, then at 100% of the load.
    for occupancy, label in ((TARGET_OCCUPANCY, "busy day"), (1.0, "overloaded day")):
        profile_day(n, occupancy, label, rng, args.repeats)

    # 2./3. M/M/c over a 24-hour day at constant rate, same draws for both implementations.
    mean_service = 300.0
    agents = math.ceil(n / (24 * HOUR) * mean_service / TARGET_OCCUPANCY)
    mmc = validate_service_centre(
        {
            "open_hour": 0,
            "close_hour": 24,
            "staffing": agents,
            "arrival_profile": dict.fromkeys(range(24), 1.0),
            "service_time": {"distribution": "exponential", "mean_seconds": mean_service},
            "patience": {"distribution": "none"},
        }
    )
    arrivals = np.sort(arrival_times(n, mmc, rng.random(n)))
    service = draw_service_times(mmc, rng.random(n))
    patience = np.full(n, np.inf)
    resolve = rng.random(n)
    ours = simulate_day(arrivals, service, patience, mmc, resolve)
    reference = mmc_simpy(arrivals, service, agents)
    answered = ours.answered
    print(
        f"M/M/{agents}: {n} calls, occupancy {ours.monitors.agent_occupancy:.3f}; "
        f"max |wait difference| vs textbook simpy model "
        f"{np.abs(ours.wait_seconds[answered] - reference[answered]).max():.2e} s"
    )
    report(
        "simulate_day, M/M/c",
        best_seconds(lambda: simulate_day(arrivals, service, patience, mmc, resolve), args.repeats),
        n,
    )
    report(
        "textbook simpy M/M/c (process per caller)",
        best_seconds(lambda: mmc_simpy(arrivals, service, agents), args.repeats),
        n,
    )


if __name__ == "__main__":
    main()
