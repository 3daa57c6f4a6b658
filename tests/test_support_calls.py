"""The service centre inside the model: staffing shapes waits, waits shape experience."""

import copy

import numpy as np
import pytest

from sim.config import load_config
from sim.engine.model import CXModel
from sim.errors import ConfigError
from sim.mechanisms.service_centre import erlang_c, validate_service_centre
from sim.mechanisms.support_calls import auto_staffing, expected_calls_per_day, scale_staffing
from sim.simulation import Simulation


@pytest.fixture
def busy_cfg(cfg):
    """A market big enough for a centre of a few agents, short enough to stay fast."""
    cfg["population"].update(customers=40000, prospects=2000, agent_handles="none")
    cfg["days"] = 90
    return cfg


def test_fewer_agents_mean_longer_waits_and_worse_experience(busy_cfg):
    """Cutting staff by half (same callers, same needs: common random numbers) raises
    waits and abandonment, lowers agent cost, and leaves customers less happy."""
    full = Simulation(copy.deepcopy(busy_cfg)).run()
    busy_cfg["service_centre"]["staffing_multiplier"] = 0.5
    cut = Simulation(busy_cfg).run()
    f, c = full.daily, cut.daily
    assert c.service_mean_wait_s.mean() > 2 * f.service_mean_wait_s.mean()
    assert c.service_abandoned.sum() > f.service_abandoned.sum()
    assert c.cost_service_centre.sum() == pytest.approx(0.5 * f.cost_service_centre.sum(), rel=0.05)
    assert c.mean_attitude.iloc[-1] < f.mean_attitude.iloc[-1]
    support = full.journey_map.set_index("touchpoint")
    assert (cut.journey_map.set_index("touchpoint").mean_felt_value["support"]
            < support.mean_felt_value["support"])


def test_unresolved_customers_call_again(busy_cfg):
    """With no first-contact resolution every caller calls again two days later; with
    perfect resolution nobody does, and every answered call is resolved."""
    busy_cfg["days"] = 40
    busy_cfg["service_centre"]["first_contact_resolution"] = 1.0
    solved = Simulation(copy.deepcopy(busy_cfg)).run().daily
    busy_cfg["service_centre"]["first_contact_resolution"] = 0.0
    unsolved = Simulation(busy_cfg).run().daily
    assert (solved.service_resolved == solved.service_answered).all()
    assert unsolved.service_resolved.sum() == 0
    assert unsolved.service_calls.sum() > 1.5 * solved.service_calls.sum()


def test_agent_cost_enters_profit(busy_cfg):
    """The same plan every weekday and every weekend day (day 0 is a Monday)."""
    d = Simulation(busy_cfg).run().daily
    agent_hours = d.cost_service_centre / 25.0
    weekend = np.isin(np.arange(len(d)) % 7, [5, 6])
    assert (agent_hours[~weekend] == agent_hours.iloc[0]).all()
    assert (agent_hours[weekend] == agent_hours.iloc[5]).all()
    assert np.allclose(d.profit, d.gross_margin - d.cost_service - d.cost_acquisition
                       - d.cost_cx_investment - d.cost_service_centre)


def test_switched_off_there_are_no_calls_and_the_touchpoint_pays_its_own_cost(cfg):
    cfg["service_centre"]["enabled"] = False
    result = Simulation(cfg).run()
    assert result.daily.service_calls.sum() == 0
    assert result.daily.cost_service_centre.sum() == 0
    support = result.journey_map.set_index("touchpoint").loc["support"]
    assert support.cost_to_serve == support.visits * 7.0


def test_hourly_monitors_on_request(cfg, tmp_path):
    cfg["days"] = 5
    cfg["service_centre"]["hourly"] = True
    result = Simulation(cfg).run()
    assert set(result.service_hourly.day) <= set(range(5))
    assert {"calls", "answered", "agents"} <= set(result.service_hourly.columns)
    result.save(tmp_path)
    assert (tmp_path / "service_hourly.parquet").exists()


def test_expected_calls_match_what_the_model_makes(busy_cfg):
    """The auto-staffing estimate of daily calls is within 25% of the simulated calls of
    the first month (an approximation: it ignores churn, new customers and abandonment)."""
    busy_cfg["days"] = 60
    model = CXModel(copy.deepcopy(busy_cfg))
    walked = model.walked  # the journey with problems' average detours to support
    expected = expected_calls_per_day(walked, walked.names.index("support"), 40000, 0.75)
    d = Simulation(busy_cfg).run().daily
    observed = d.service_calls.iloc[20:50].mean()
    assert abs(observed - expected) < 0.25 * expected


def test_auto_staffing_is_the_fewest_agents_meeting_the_target():
    centre = validate_service_centre({})
    plan = auto_staffing(1500.0, centre, 0.8)
    mu = 1 / centre["service_time"]["mean_seconds"]
    total = sum(centre["arrival_profile"].values())
    for hour, agents in plan.items():
        lam = 1500.0 * centre["arrival_profile"][hour] / total / 3600

        def level(c, lam=lam):
            p_wait, _ = erlang_c(lam, mu, c)
            return 1 - p_wait * np.exp(-(c * mu - lam) * 20) if p_wait < 1 else 0.0

        assert level(agents) >= 0.8
        assert agents == 1 or level(agents - 1) < 0.8


def test_staffing_cuts_scale_every_hour_to_the_agent_minute():
    """A 20% cut of one agent is one agent for 48 minutes of every hour, not a closed hour."""
    assert scale_staffing({8: 1, 9: 1, 10: 1, 11: 1, 12: 1}, 0.8) == dict.fromkeys(
        range(8, 13), 0.8)
    assert scale_staffing({8: 10, 9: 5}, 0.8) == {8: 8, 9: 4}
    assert scale_staffing({8: 3, 9: 3}, 1.0) == {8: 3, 9: 3}
    assert scale_staffing({8: 1}, 0.333) == {8: 20 / 60}  # 19.98 minutes: 20


def test_touchpoint_must_be_in_the_journey(cfg):
    cfg["service_centre"]["touchpoint"] = "helpdesk"
    with pytest.raises(ConfigError, match=r"service_centre.touchpoint: 'helpdesk' is not a "
                                          r"touchpoint of journey 'retail'; touchpoints: "
                                          r"awareness"):
        CXModel(cfg)


def test_negative_agents(cfg):
    cfg["service_centre"]["staffing"] = {9: -1}
    with pytest.raises(ConfigError, match=r"service_centre.staffing.9 must be a number >= 0"):
        CXModel(cfg)


def test_staffing_hours_outside_the_day(cfg):
    cfg["service_centre"]["staffing"] = {25: 3}
    with pytest.raises(ConfigError, match=r"service_centre.staffing"):
        CXModel(cfg)


def test_unknown_service_distribution(cfg):
    cfg["service_centre"]["service_time"]["distribution"] = "weibull"
    with pytest.raises(ConfigError, match=r"service_centre.service_time.distribution must be "
                                          r"one of exponential, lognormal, fixed"):
        CXModel(cfg)


def test_bad_multiplier(cfg):
    cfg["service_centre"]["staffing_multiplier"] = -0.2
    with pytest.raises(ConfigError, match=r"service_centre.staffing_multiplier must be in "
                                          r"\[0, 10\]"):
        CXModel(cfg)


def test_unknown_key(cfg):
    cfg["service_centre"]["agents"] = 3
    with pytest.raises(ConfigError, match=r"service_centre"):
        CXModel(cfg)


def test_subscription_journey_has_a_centre_too():
    cfg = load_config(["journey=subscription", "population.customers=3000",
                       "population.prospects=500", "days=60"])
    d = Simulation(cfg).run().daily
    assert d.service_calls.sum() > 0
