"""The service centre at a realistic scale: part-time shifts, the weekend, and what a
staffing cut does to the service level, through the model and in a comparison."""

import copy
import itertools

import numpy as np
import pytest

from sim.engine.model import CXModel
from sim.errors import ConfigError
from sim.mechanisms.service_centre import capacity_schedule, simulate_day, validate_service_centre
from sim.simulation import Simulation
from sim.studies.compare import compare


def test_a_fraction_of_an_agent_is_a_part_time_shift():
    """2.25 agents: three agents for the first 15 minutes, then two; equal sizes merge."""
    times, sizes = capacity_schedule({8: 2.25, 9: 2, 10: 0.5})
    assert times.tolist() == [0.0, 900.0, 7200.0, 9000.0]
    assert sizes.tolist() == [3, 2, 1, 0]


def test_staffing_is_kept_to_the_agent_minute():
    cfg = validate_service_centre({"open_hour": 8, "close_hour": 10, "staffing": {8: 0.8, 9: 1}})
    assert cfg["staffing"] == {8: 0.8, 9: 1}
    assert validate_service_centre({"staffing": 0.3333})["staffing"][8] == 20 / 60


def test_a_half_hour_shift_leaves_the_second_half_hour_unstaffed():
    """One agent for the first 30 minutes of 8:00-9:00 and all of 9:00-10:00: a call at
    8:10 is answered at once, one at 8:40 waits until 9:00 (20 minutes); cost and
    occupancy count 1.5 agent-hours."""
    cfg = validate_service_centre({"open_hour": 8, "close_hour": 10, "staffing": {8: 0.5, 9: 1},
                                   "agent_cost_per_hour": 20.0})
    arrivals = np.array([600.0, 2400.0])
    day = simulate_day(arrivals, np.array([60.0, 60.0]), np.full(2, np.inf), cfg,
                       np.zeros(2))
    assert day.wait_seconds.tolist() == [0.0, 1200.0]
    assert day.monitors.staffed_agent_hours == 1.5
    assert day.monitors.agent_cost == 30.0
    assert day.monitors.agent_occupancy == pytest.approx(120.0 / 5400.0)


@pytest.fixture
def market(default_cfg):
    """The default market (10,000 customers), four weeks."""
    cfg = copy.deepcopy(default_cfg)
    cfg["days"] = 28
    cfg["population"]["agent_handles"] = "none"
    return cfg


def _service_level(cfg, multiplier, replication=0):
    cfg = copy.deepcopy(cfg)
    cfg["service_centre"]["staffing_multiplier"] = multiplier
    cfg["replication"] = replication
    return Simulation(cfg).run().summary["service_level"]


def test_cutting_support_staff_lowers_the_service_level_of_the_default_market(market):
    """cut_support_staff (multiplier 0.8) at the default market: with one agent an hour
    the cut leaves 12 minutes of every hour unstaffed instead of rounding to the same plan
    or closing whole hours, so the share of calls answered within 20 s falls clearly
    (the same callers under common random numbers: ~0.9 -> ~0.75)."""
    full, cut = _service_level(market, 1.0), _service_level(market, 0.8)
    assert cut < full - 0.08


def test_more_agents_never_lower_the_service_level(market):
    """Monotonicity under common random numbers, averaged over 3 replications: the service
    level does not fall as the agent-hours rise (waits are monotone in staffing for the
    same callers, tests/test_service_centre.py; the callers themselves change only through
    the customers' experience, a second-order effect over four weeks)."""
    levels = [np.mean([_service_level(market, m, r) for r in range(3)])
              for m in (0.6, 0.8, 1.0, 1.5)]
    assert all(b >= a for a, b in itertools.pairwise(levels)), levels


def test_weekends_keep_their_own_hours(market):
    """Saturdays and Sundays (days 5 and 6; day 0 is a Monday) open by the weekend
    section's hours; with weekend: null every day is a weekday."""
    market["days"] = 7
    market["service_centre"]["hourly"] = True
    hourly = Simulation(copy.deepcopy(market)).run().service_hourly
    weekend = market["service_centre"]["weekend"]
    for day, hours in hourly.groupby("day").hour:
        expected = (range(weekend["open_hour"], weekend["close_hour"]) if day in (5, 6)
                    else range(8, 20))
        assert sorted(hours) == list(expected)
    market["service_centre"]["weekend"] = None
    hourly = Simulation(market).run().service_hourly
    assert set(hourly.groupby("day").hour.min()) == {8}


@pytest.mark.parametrize(
    ("weekend", "match"),
    [
        ({"open_hour": 10}, r"service_centre.weekend: missing key close_hour"),
        ({"open_hour": 10, "close_hour": 16, "arrival_profile": {10: 1}, "staffing": 1,
          "days": 2}, r"service_centre.weekend: unknown key days"),
        ({"open_hour": 10, "close_hour": 16, "arrival_profile": {10: 1}, "staffing": -1},
         r"service_centre.weekend.staffing.10 must be a number >= 0"),
        ("sunday", r"service_centre.weekend must be null or a mapping"),
    ],
)
def test_bad_weekend_sections(market, weekend, match):
    market["service_centre"]["weekend"] = weekend
    with pytest.raises(ConfigError, match=match):
        CXModel(market)


def test_the_comparison_reports_service_level_and_occupancy():
    """The what-if summary states each scenario's service level and agent occupancy
    beside the baseline's, so a staffing cut's effect on the line is visible."""
    cmp = compare(["cut_support_staff"], replications=2,
                  overrides=["days=14", "population.customers=4000",
                             "population.prospects=1000"])
    text = cmp.text()
    assert "- service centre: " in text
    assert "agents busy" in text
    runs = cmp.runs.set_index("scenario")
    assert (runs.loc["cut_support_staff", "service_level"].mean()
            < runs.loc["baseline", "service_level"].mean())
    assert (runs.loc["cut_support_staff", "service_occupancy"].mean()
            > runs.loc["baseline", "service_occupancy"].mean())
