"""Tests of sim.mechanisms.service_centre: queueing behaviour, monitors, config validation."""

import math
from dataclasses import asdict

import numpy as np
import pytest
import simpy

from sim.errors import ConfigError
from sim.mechanisms.service_centre import (
    DEFAULT_SERVICE_CENTRE,
    HOUR,
    arrival_times,
    draw_patiences,
    draw_service_times,
    erlang_c,
    simulate_day,
    validate_service_centre,
)

# A 24-hour day at a constant rate, exponential service, no abandonment: an M/M/c queue.
MMC = {
    "open_hour": 0,
    "close_hour": 24,
    "arrival_profile": dict.fromkeys(range(24), 1.0),
    "service_time": {"distribution": "exponential", "mean_seconds": 300.0},
    "patience": {"distribution": "none"},
}


def poisson_day(rng, cfg, rate_per_hour):
    """Arrivals of a Poisson day: n ~ Poisson(volume), then times by the profile."""
    n = rng.poisson(rate_per_hour * (cfg["close_hour"] - cfg["open_hour"]))
    return arrival_times(n, cfg, rng.random(n))


def day_inputs(cfg, n, seed):
    """Sorted arrivals plus service times, patiences and resolve uniforms from the config."""
    rng = np.random.default_rng(seed)
    arrivals = np.sort(arrival_times(n, cfg, rng.random(n)))
    return (
        arrivals,
        draw_service_times(cfg, rng.random(n)),
        draw_patiences(cfg, rng.random(n)),
        rng.random(n),
    )


def textbook_model(arrivals, service, patience, agents, day_length):
    """Reference: one simpy process per caller on a Resource, `request | timeout` for patience.

    Same semantics as simulate_day at constant staffing: FIFO, abandon when patience runs
    out, callers still waiting at closing stay unanswered (NaN wait).
    """
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=agents)
    wait = np.full(arrivals.size, np.nan)
    abandoned = np.zeros(arrivals.size, dtype=bool)

    def caller(i):
        yield env.timeout(arrivals[i])
        request = desk.request()
        yield request | env.timeout(patience[i])
        if not request.triggered:
            request.cancel()
            abandoned[i] = True
            return
        wait[i] = env.now - arrivals[i]
        yield env.timeout(service[i])
        desk.release(request)

    for i in range(arrivals.size):
        env.process(caller(i))
    env.run(until=day_length)
    return wait, abandoned


# --------------------------------------------------------------------------- Erlang C


def test_erlang_c_known_values():
    """Closed form: C(3 agents, 2 Erlangs) = 4/9; M/M/1 waits with probability rho."""
    p_wait, mean_wait = erlang_c(2.0, 1.0, 3)
    assert p_wait == pytest.approx(4 / 9)
    assert mean_wait == pytest.approx(4 / 9)  # C / (c mu - lambda) = (4/9) / 1
    p_wait, mean_wait = erlang_c(0.5, 1.0, 1)
    assert p_wait == pytest.approx(0.5)
    assert mean_wait == pytest.approx(0.5 / (1.0 - 0.5))


def test_erlang_c_agrees_with_factorial_formula_and_is_stable_for_large_pools():
    """The Erlang B recursion equals the textbook sum-of-factorials formula, and stays finite
    where that formula overflows (thousands of agents)."""
    for agents in range(1, 40):
        load = 0.9 * agents
        terms = [load**k / math.factorial(k) for k in range(agents)]
        top = load**agents / math.factorial(agents) * agents / (agents - load)
        assert erlang_c(load, 1.0, agents)[0] == pytest.approx(top / (math.fsum(terms) + top))
    p_wait, mean_wait = erlang_c(1900.0, 1.0, 2000)
    assert 0.0 < p_wait < 1.0
    assert math.isfinite(mean_wait)


def test_erlang_c_edge_cases():
    """No calls: never wait; load >= agents (or no agents): always wait, forever."""
    assert erlang_c(0.0, 1.0, 0) == (0.0, 0.0)
    assert erlang_c(3.0, 1.0, 3) == (1.0, math.inf)
    assert erlang_c(1.0, 1.0, 0) == (1.0, math.inf)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((-1.0, 1.0, 2), "arrival_rate must be a finite number >= 0"),
        ((1.0, 0.0, 2), "service_rate must be a finite number > 0"),
        ((1.0, 1.0, 2.5), "agents must be an integer >= 0"),
    ],
)
def test_erlang_c_rejects_bad_arguments(args, match):
    """Bad rates or a non-integer number of agents raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=match):
        erlang_c(*args)


# --------------------------------------------------------------------------- queueing


def test_simulation_matches_erlang_c():
    """Poisson arrivals, exponential service, 10 agents at 80% load, no abandonment: the
    simulated probability of waiting and mean wait match Erlang C.

    Horizon: 160 independent 24-hour days (3,840 simulated hours, ~370,000 calls). One shift
    is far too short: the mean wait over 20 hours still has a run-to-run spread of ~45% here
    (the queue's relaxation time is ~45 min), so 160 batches give a standard error of ~3.5%
    of the mean wait (P(wait): ~0.005). Each day drops the calls arriving in its first 2 hours
    (it starts empty) and last 2 hours (closing cuts off waits), and is one batch; the
    tolerance is 4 batch-means standard errors, and we check the standard error is small
    (< 6% of the mean wait) so the test keeps its power.
    Runs in ~1-2 s.
    """
    agents, mean_service, load = 10, 300.0, 0.8
    rate_per_hour = load * agents * HOUR / mean_service
    cfg = validate_service_centre({**MMC, "staffing": agents})
    rng = np.random.default_rng(20240611)
    p_waits, mean_waits = [], []
    for _ in range(160):
        arrivals = poisson_day(rng, cfg, rate_per_hour)
        n = arrivals.size
        service = draw_service_times(cfg, rng.random(n))
        result = simulate_day(arrivals, service, np.full(n, np.inf), cfg, np.zeros(n))
        kept = (arrivals >= 2 * HOUR) & (arrivals < 22 * HOUR)
        assert result.answered[kept].all()
        p_waits.append((result.wait_seconds[kept] > 0).mean())
        mean_waits.append(result.wait_seconds[kept].mean())
    p_wait, mean_wait = erlang_c(rate_per_hour / HOUR, 1 / mean_service, agents)
    se_p = np.std(p_waits, ddof=1) / np.sqrt(len(p_waits))
    se_w = np.std(mean_waits, ddof=1) / np.sqrt(len(mean_waits))
    assert se_w < 0.06 * mean_wait
    assert abs(np.mean(p_waits) - p_wait) < 4 * se_p
    assert abs(np.mean(mean_waits) - mean_wait) < 4 * se_w


def test_matches_textbook_simpy_model_call_by_call():
    """At constant staffing, every call's outcome and wait equal those of the textbook simpy
    model (a process per caller, Resource, `request | timeout` patience)."""
    cfg = validate_service_centre(
        {**MMC, "staffing": 6, "patience": {"distribution": "exponential", "mean_seconds": 120}}
    )
    arrivals, service, patience, resolve = day_inputs(cfg, 20_000, seed=3)
    result = simulate_day(arrivals, service, patience, cfg, resolve)
    wait, abandoned = textbook_model(arrivals, service, patience, 6, 24 * HOUR)
    np.testing.assert_array_equal(result.abandoned, abandoned)
    np.testing.assert_array_equal(result.answered, ~np.isnan(wait) & ~abandoned)
    np.testing.assert_allclose(
        result.wait_seconds[result.answered], wait[result.answered], atol=1e-6
    )
    assert result.monitors.abandoned > 100  # the comparison exercises abandonment


def test_fewer_agents_never_shorten_waits():
    """Same arrivals and service times, no abandonment: removing agents never shortens any
    caller's wait, at constant staffing and for an hourly staffing plan cut hour by hour."""
    cfg = {**MMC, "staffing": 1}
    arrivals, service, patience, resolve = day_inputs(validate_service_centre(cfg), 5_000, 11)
    previous = None
    for agents in (24, 22, 20, 19, 18, 17):
        wait = simulate_day(arrivals, service, patience, {**cfg, "staffing": agents}, resolve)
        if previous is not None:
            assert np.all(wait.wait_seconds >= previous - 1e-9)
            assert wait.wait_seconds.mean() >= previous.mean()
        previous = wait.wait_seconds

    base = validate_service_centre({"patience": {"distribution": "none"}})
    arrivals, service, patience, resolve = day_inputs(base, 1_700, 12)
    previous = None
    for cut in range(4):
        staffing = {hour: max(agents - cut, 0) for hour, agents in base["staffing"].items()}
        wait = simulate_day(arrivals, service, patience, {**base, "staffing": staffing}, resolve)
        if previous is not None:
            assert np.all(wait.wait_seconds >= previous - 1e-9)
            assert wait.wait_seconds.mean() > previous.mean()
        previous = wait.wait_seconds


def test_abandonment():
    """With short patience and too few agents some callers abandon; an abandoned call is never
    answered and its wait equals its patience; answered callers waited at most their patience."""
    cfg = validate_service_centre(
        {**MMC, "staffing": 8, "patience": {"distribution": "exponential", "mean_seconds": 30}}
    )
    arrivals, service, patience, resolve = day_inputs(cfg, 3_000, 5)  # load ~10.4 Erlangs
    result = simulate_day(arrivals, service, patience, cfg, resolve)
    assert 0 < result.monitors.abandoned < result.monitors.calls
    assert not (result.abandoned & result.answered).any()
    np.testing.assert_array_equal(result.wait_seconds[result.abandoned], patience[result.abandoned])
    assert np.all(result.wait_seconds[result.answered] <= patience[result.answered])


def test_infinite_patience_never_abandons():
    """patience = inf (distribution none) means nobody abandons, even when agents are short."""
    cfg = validate_service_centre({**MMC, "staffing": 5})
    arrivals, service, patience, resolve = day_inputs(cfg, 3_000, 6)
    assert np.isinf(patience).all()
    result = simulate_day(arrivals, service, patience, cfg, resolve)
    assert result.monitors.abandoned == 0


def test_first_contact_resolution():
    """Resolved implies answered; an answered call is resolved exactly when its uniform is
    below first_contact_resolution, so the resolved share of answered calls is near it."""
    cfg = validate_service_centre({"first_contact_resolution": 0.75})
    arrivals, service, patience, resolve = day_inputs(cfg, 5_000, 8)
    result = simulate_day(arrivals, service, patience, cfg, resolve)
    assert not (result.resolved & ~result.answered).any()
    np.testing.assert_array_equal(result.resolved, result.answered & (resolve < 0.75))
    share = result.resolved.sum() / result.answered.sum()
    se = math.sqrt(0.75 * 0.25 / result.answered.sum())
    assert abs(share - 0.75) < 4 * se


def test_hand_computed_day():
    """A small day worked out by hand pins the semantics: FIFO, staffing per hour (no agents
    in hour 9: callers wait for hour 10; an agent busy at the end of their shift finishes the
    call), callers still queued at closing are unserved, and every monitor's definition.

    Hours 8-10 with 1, 0, 2 agents; every call lasts 600 s.
      A   0 -> answered at 0       B   100 -> answered at 600 (after A), wait 500
      C 3500 -> answered at 3500, runs 500 s into hour 9 (no agents): overrun
      D 3700 -> hour 9 unstaffed, answered at 7200, wait 3500
      E 10700, F 10750 -> answered at once, finish 500 and 550 s after closing (overrun)
      G 10760 -> both agents busy, still queued at closing (10800): unserved, wait 40
    Busy within staffing: hour 8 600+600+100, hour 10 600+100+50; staffed 3 agent-hours.
    """
    cfg = {
        "open_hour": 8,
        "close_hour": 11,
        "staffing": {8: 1, 10: 2},
        "service_time": {"distribution": "fixed", "mean_seconds": 600},
        "patience": {"distribution": "none"},
        "first_contact_resolution": 0.75,
        "service_level_seconds": 20,
        "agent_cost_per_hour": 10.0,
    }
    arrivals = np.array([0, 100, 3500, 3700, 10700, 10750, 10760], dtype=float)
    n = arrivals.size
    service = draw_service_times(cfg, np.zeros(n))
    resolve = np.array([0.1, 0.9, 0.1, 0.1, 0.1, 0.9, 0.1])
    result = simulate_day(
        arrivals, service, draw_patiences(cfg, np.zeros(n)), cfg, resolve, hourly=True
    )

    np.testing.assert_allclose(result.wait_seconds, [0, 500, 0, 3500, 0, 0, 40])
    np.testing.assert_array_equal(result.answered, [1, 1, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(result.unserved, [0, 0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(result.resolved, [1, 0, 1, 1, 1, 0, 0])
    m = result.monitors
    assert (m.calls, m.answered, m.abandoned, m.unserved, m.resolved) == (7, 6, 0, 1, 4)
    assert m.mean_wait == pytest.approx(4000 / 6)
    assert m.p90_wait == pytest.approx(2000)  # [0,0,0,0,500,3500], linear interpolation at 4.5
    assert m.service_level == pytest.approx(4 / 7)  # A, C, E, F within 20 s, over all calls
    assert m.agent_occupancy == pytest.approx((1300 + 750) / (3 * HOUR))
    assert m.staffed_agent_hours == 3
    assert m.agent_cost == pytest.approx(30.0)
    assert m.overrun_agent_seconds == pytest.approx(500 + 500 + 550)

    hourly = result.hourly
    assert list(hourly.index) == [8, 9, 10]
    assert list(hourly["agents"]) == [1, 0, 2]
    assert list(hourly["calls"]) == [3, 1, 3]  # by arrival hour: C arrived in hour 8
    assert list(hourly["unserved"]) == [0, 0, 1]
    assert hourly.loc[8, "agent_occupancy"] == pytest.approx(1300 / HOUR)
    assert math.isnan(hourly.loc[9, "agent_occupancy"])  # no staffed time
    assert hourly.loc[10, "agent_occupancy"] == pytest.approx(750 / (2 * HOUR))


def test_agents_leave_after_their_call_when_staffing_drops():
    """When staffing drops from 2 to 1 with both agents busy, the first to finish leaves and
    the waiting caller is answered only when the remaining agent is free."""
    cfg = {"open_hour": 8, "close_hour": 10, "staffing": {8: 2, 9: 1}}
    arrivals = np.array([3000.0, 3100.0, 3650.0])
    service = np.array([700.0, 700.0, 100.0])
    result = simulate_day(arrivals, service, np.full(3, np.inf), cfg, np.zeros(3))
    np.testing.assert_allclose(result.wait_seconds, [0, 0, 150])  # answered at 3800, not 3700
    assert result.monitors.overrun_agent_seconds == pytest.approx(100)


def test_equal_arrival_times_are_served_in_input_order():
    """FIFO ties are broken by input position, so the outcome does not depend on sorting."""
    cfg = {"open_hour": 8, "close_hour": 9, "staffing": 1}
    arrivals = np.array([10.0, 10.0, 10.0, 5.0])
    service = np.array([100.0, 200.0, 300.0, 50.0])
    result = simulate_day(arrivals, service, np.full(4, np.inf), cfg, np.zeros(4))
    np.testing.assert_allclose(result.wait_seconds, [45, 145, 345, 0])


def test_monitors_are_consistent():
    """On a default day: every call has exactly one outcome, occupancy lies in [0, 1], agent
    cost is staffed hours x cost, and the hourly table adds up to the day."""
    cfg = validate_service_centre({"agent_cost_per_hour": 30.0})
    arrivals, service, patience, resolve = day_inputs(cfg, 1_800, 9)
    result = simulate_day(arrivals, service, patience, cfg, resolve, hourly=True)
    m = result.monitors
    outcomes = result.answered.astype(int) + result.abandoned + result.unserved
    assert np.all(outcomes == 1)
    assert m.answered + m.abandoned + m.unserved == m.calls == arrivals.size
    assert 0.0 <= m.agent_occupancy <= 1.0
    assert 0.0 <= m.service_level <= 1.0
    assert m.staffed_agent_hours == sum(cfg["staffing"].values())
    assert m.agent_cost == pytest.approx(sum(cfg["staffing"].values()) * 30.0)
    hourly = result.hourly
    for column in ("calls", "answered", "abandoned", "unserved", "resolved", "agent_cost"):
        assert hourly[column].sum() == pytest.approx(getattr(m, column))
    assert hourly["agent_occupancy"].between(0.0, 1.0).all()
    staffed = hourly["agents"] * HOUR
    assert (hourly["agent_occupancy"] * staffed).sum() / staffed.sum() == pytest.approx(
        m.agent_occupancy
    )
    assert m.service_level == pytest.approx(
        (hourly["service_level"] * hourly["calls"]).sum() / m.calls
    )


def test_no_calls_and_no_agents():
    """An empty day gives zero counts and NaN rates; a day without agents leaves every caller
    unserved (patience none) with NaN occupancy."""
    empty = simulate_day([], [], [], {}, [])
    assert empty.monitors.calls == 0
    assert math.isnan(empty.monitors.service_level)
    assert math.isnan(empty.monitors.mean_wait)
    cfg = {"staffing": 0, "patience": {"distribution": "none"}}
    arrivals = np.array([10.0, 20000.0])
    result = simulate_day(arrivals, [300.0, 300.0], [np.inf, np.inf], cfg, [0.0, 0.0])
    assert result.unserved.all()
    np.testing.assert_allclose(result.wait_seconds, 12 * HOUR - arrivals)
    assert math.isnan(result.monitors.agent_occupancy)
    assert result.monitors.agent_cost == 0.0


def test_determinism():
    """Same inputs give identical per-call outputs and monitors, call after call."""
    cfg = validate_service_centre({})
    inputs = day_inputs(cfg, 2_000, 10)
    first = simulate_day(*inputs[:3], cfg, inputs[3], hourly=True)
    second = simulate_day(*inputs[:3], cfg, inputs[3], hourly=True)
    for field in ("wait_seconds", "answered", "abandoned", "unserved", "resolved"):
        np.testing.assert_array_equal(getattr(first, field), getattr(second, field))
    assert first.monitors == second.monitors
    assert first.hourly.equals(second.hourly)


def test_input_order_does_not_matter():
    """Shuffling the calls shuffles the per-call outputs the same way (outputs align with input)."""
    cfg = validate_service_centre({})
    arrivals, service, patience, resolve = day_inputs(cfg, 2_000, 13)
    order = np.random.default_rng(0).permutation(arrivals.size)
    sorted_run = simulate_day(arrivals, service, patience, cfg, resolve)
    shuffled = simulate_day(arrivals[order], service[order], patience[order], cfg, resolve[order])
    np.testing.assert_allclose(shuffled.wait_seconds, sorted_run.wait_seconds[order])
    assert asdict(shuffled.monitors) == pytest.approx(asdict(sorted_run.monitors))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"arrivals": [-1.0]}, r"arrivals must lie in \[0, 43200\)"),
        ({"arrivals": [12 * HOUR]}, r"arrivals must lie in \[0, 43200\)"),
        ({"service_times": [1.0, 2.0]}, r"service_times must be a 1-D array aligned with arrivals"),
        ({"service_times": [-1.0]}, "service_times must be finite and >= 0"),
        ({"patiences": [np.nan]}, r"patiences must be >= 0 \(inf = never abandons\)"),
        ({"resolve_uniforms": [1.5]}, r"resolve_uniforms must lie in \[0, 1\]"),
    ],
)
def test_simulate_day_rejects_bad_arrays(change, match):
    """Misaligned or out-of-range per-call arrays raise ValueError saying what is expected."""
    args = {
        "arrivals": [10.0],
        "service_times": [1.0],
        "patiences": [1.0],
        "resolve_uniforms": [0.5],
    }
    args.update(change)
    with pytest.raises(ValueError, match=match):
        simulate_day(
            args["arrivals"], args["service_times"], args["patiences"], {}, args["resolve_uniforms"]
        )


# --------------------------------------------------------------------------- random inputs


def test_arrival_times_follow_the_profile():
    """Calls fall in each hour in proportion to its weight, none in zero-weight hours, all in
    the opening hours; times increase with the uniform (common random numbers)."""
    cfg = {"open_hour": 8, "close_hour": 12, "arrival_profile": {8: 1, 9: 3, 11: 4}}
    u = np.random.default_rng(1).random(80_000)
    times = arrival_times(u.size, cfg, u)
    counts = np.bincount((times // HOUR).astype(int), minlength=4)
    np.testing.assert_allclose(counts / u.size, [1 / 8, 3 / 8, 0, 4 / 8], atol=0.01)
    assert times.min() >= 0
    assert times.max() < 4 * HOUR
    order = np.argsort(u)
    assert np.all(np.diff(times[order]) >= 0)
    within_hour_9 = times[(times >= HOUR) & (times < 2 * HOUR)] - HOUR
    assert abs(within_hour_9.mean() - HOUR / 2) < 30  # uniform within the hour


def test_arrival_times_rejects_bad_uniforms():
    """Uniforms must be n values in [0, 1): a wrong count or a 1.0 raises ValueError."""
    with pytest.raises(ValueError, match=r"u must be a 1-D array of 3 uniforms"):
        arrival_times(3, {}, [0.1, 0.2])
    with pytest.raises(ValueError, match=r"u must lie in \[0, 1\)"):
        arrival_times(1, {}, [1.0])


def test_service_and_patience_draws():
    """Inverse-CDF draws have the configured means (and lognormal sd); fixed is constant;
    patience none is infinite."""
    u = np.random.default_rng(2).random(200_000)
    lognormal = draw_service_times({}, u)
    assert lognormal.mean() == pytest.approx(300, rel=0.01)
    assert lognormal.std() == pytest.approx(120, rel=0.02)
    exponential = draw_service_times({"service_time": {"distribution": "exponential"}}, u)
    assert exponential.mean() == pytest.approx(300, rel=0.01)
    fixed = draw_service_times({"service_time": {"distribution": "fixed", "mean_seconds": 42}}, u)
    assert np.all(fixed == 42)
    assert draw_patiences({}, u).mean() == pytest.approx(180, rel=0.01)
    assert np.isinf(draw_patiences({"patience": {"distribution": "none"}}, u)).all()


# --------------------------------------------------------------------------- configuration


def test_defaults_are_complete_and_validation_is_idempotent():
    """Defaults fill every key, keep only the opening hours of the clock-wide tables, leave
    DEFAULT_SERVICE_CENTRE untouched, and validating a validated config changes nothing."""
    cfg = validate_service_centre({})
    assert list(cfg) == list(DEFAULT_SERVICE_CENTRE)
    assert list(cfg["staffing"]) == list(range(8, 20))
    assert list(cfg["arrival_profile"]) == list(range(8, 20))
    assert len(DEFAULT_SERVICE_CENTRE["staffing"]) == 24
    assert validate_service_centre(cfg) == cfg
    late = validate_service_centre({"open_hour": 10, "close_hour": 22})
    assert list(late["staffing"]) == list(range(10, 22))
    assert late["staffing"][21] == DEFAULT_SERVICE_CENTRE["staffing"][21]


def test_default_staffing_meets_80_20_for_the_reference_profile():
    """The default staffing is the fewest agents per hour meeting 80% within 20 s by Erlang C
    (exponential service at the default mean) for the reference calls-per-hour profile."""
    mu = 1 / DEFAULT_SERVICE_CENTRE["service_time"]["mean_seconds"]
    t = DEFAULT_SERVICE_CENTRE["service_level_seconds"]

    def service_level(calls_per_hour, agents):
        lam = calls_per_hour / HOUR
        p_wait, mean_wait = erlang_c(lam, mu, agents)
        return 0.0 if math.isinf(mean_wait) else 1 - p_wait * math.exp(-(agents * mu - lam) * t)

    for hour, calls in DEFAULT_SERVICE_CENTRE["arrival_profile"].items():
        agents = DEFAULT_SERVICE_CENTRE["staffing"][hour]
        assert service_level(calls, agents) >= 0.8
        assert service_level(calls, agents - 1) < 0.8


def test_staffing_forms():
    """Staffing may be one integer for all open hours, or a mapping whose unlisted hours have
    no agents; hour keys may be digit strings (from YAML or the command line)."""
    cfg = validate_service_centre({"open_hour": 9, "close_hour": 12, "staffing": 4})
    assert cfg["staffing"] == {9: 4, 10: 4, 11: 4}
    cfg = validate_service_centre({"open_hour": 9, "close_hour": 12, "staffing": {"10": 3}})
    assert cfg["staffing"] == {9: 0, 10: 3, 11: 0}


def test_accepts_omegaconf_section():
    """A Hydra/OmegaConf DictConfig section validates like a plain dict."""
    omegaconf = pytest.importorskip("omegaconf")
    section = omegaconf.OmegaConf.create(
        {"staffing": {8: 2, 9: 3}, "service_time": {"distribution": "fixed"}, "close_hour": 10}
    )
    cfg = validate_service_centre(section)
    assert cfg["staffing"] == {8: 2, 9: 3}
    assert cfg["service_time"]["distribution"] == "fixed"


@pytest.mark.parametrize(
    ("cfg", "match"),
    [
        (
            {"agents": 3},
            r"service_centre: unknown key\(s\) agents; "
            r"allowed keys: open_hour, close_hour, staffing, service_time",
        ),
        (["staffing"], r"service_centre must be a mapping with keys open_hour, close_hour"),
        ({"open_hour": 24}, "service_centre.open_hour must be an integer in 0-23; got 24"),
        ({"close_hour": 25}, "service_centre.close_hour must be an integer in 1-24; got 25"),
        (
            {"open_hour": 8, "close_hour": 8},
            "service_centre.close_hour must be greater than service_centre.open_hour; "
            "got open_hour=8, close_hour=8",
        ),
        (
            {"staffing": {9: -1}},
            r"service_centre.staffing.9 must be a number >= 0 \(agents; a fraction is a "
            r"part-time shift\); got -1",
        ),
        ({"staffing": -2}, r"service_centre.staffing.8 must be a number >= 0 \(agents; .*got -2"),
        (
            {"staffing": {9: float("inf")}},
            r"service_centre.staffing.9 must be a number >= 0 \(agents; .*got inf",
        ),
        ({"staffing": {24: 1}}, "service_centre.staffing: hour 24 must be an integer in 0-23"),
        (
            {"staffing": {7: 1}},
            r"service_centre.staffing: hour 7 is outside the opening hours 8-19 "
            r"\(open_hour=8, close_hour=20\)",
        ),
        (
            {"staffing": "lots"},
            r"service_centre.staffing must be a number >= 0 \(agents\) or a mapping hour -> agents",
        ),
        (
            {"service_time": {"distribution": "gamma"}},
            "service_centre.service_time.distribution must be one of "
            "exponential, lognormal, fixed; got 'gamma'",
        ),
        (
            {"service_time": {"mean": 300}},
            r"service_centre.service_time: unknown key\(s\) mean; "
            r"allowed keys: distribution, mean_seconds, sd_seconds",
        ),
        (
            {"service_time": 300},
            "service_centre.service_time must be a mapping with keys "
            "distribution, mean_seconds, sd_seconds",
        ),
        (
            {"service_time": {"mean_seconds": 0}},
            "service_centre.service_time.mean_seconds must be a finite number > 0; got 0",
        ),
        (
            {"service_time": {"sd_seconds": -1}},
            "service_centre.service_time.sd_seconds must be a finite number > 0; got -1",
        ),
        (
            {"patience": {"distribution": "weibull"}},
            "service_centre.patience.distribution must be one of exponential, none; got 'weibull'",
        ),
        (
            {"patience": {"mean_seconds": -5}},
            "service_centre.patience.mean_seconds must be a finite number > 0; got -5",
        ),
        (
            {"first_contact_resolution": 1.5},
            r"service_centre.first_contact_resolution must be a number in \[0, 1\]; got 1.5",
        ),
        (
            {"first_contact_resolution": -0.1},
            r"service_centre.first_contact_resolution must be a number in \[0, 1\]; got -0.1",
        ),
        (
            {"first_contact_resolution": True},
            r"service_centre.first_contact_resolution must be a number in \[0, 1\]; got True",
        ),
        (
            {"service_level_seconds": -1},
            "service_centre.service_level_seconds must be a finite number >= 0; got -1",
        ),
        (
            {"agent_cost_per_hour": "cheap"},
            "service_centre.agent_cost_per_hour must be a finite number >= 0; got 'cheap'",
        ),
        (
            {"arrival_profile": {9: -1}},
            "service_centre.arrival_profile.9 must be a finite number >= 0; got -1",
        ),
        (
            {"arrival_profile": {9: 0}},
            "service_centre.arrival_profile must give a positive weight "
            "to at least one opening hour 8-19",
        ),
        (
            {"arrival_profile": {6: 1}},
            r"service_centre.arrival_profile: hour 6 is outside the opening hours 8-19",
        ),
        (
            {"arrival_profile": [1, 2]},
            "service_centre.arrival_profile must be a mapping hour -> weight",
        ),
    ],
)
def test_bad_config_raises_config_error(cfg, match):
    """Each bad value raises ConfigError naming the dotted key and the allowed values or range."""
    with pytest.raises(ConfigError, match=match):
        validate_service_centre(cfg)
