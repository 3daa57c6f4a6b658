"""The model's behaviour as a whole: bookkeeping, reproducibility, common random numbers,
Mesa integration and the mechanisms visible in the daily table."""

import copy

import numpy as np
import pandas as pd
import pytest

from sim.config import load_config
from sim.engine.agents import Customer
from sim.engine.model import CXModel
from sim.simulation import Simulation
from tests.builders import one_touchpoint_journey, single_segment


@pytest.fixture
def result(cfg):
    return Simulation(cfg).run()


def test_customer_counts_add_up_every_day(result, cfg):
    """active(t) = active(t-1) + new + won back - churned; everybody is somebody: the market
    keeps its size, a newcomer prospect taking the place of each lapsed customer who leaves
    (prospects(t) = prospects(t-1) - new + exits; 2,000 customers bring 600 lapsed)."""
    d = result.daily
    previous = np.concatenate([[cfg["population"]["customers"]], d.active.to_numpy()[:-1]])
    assert (d.active == previous + d.new + d.won_back - d.churned).all()
    people = cfg["population"]["customers"] + cfg["population"]["prospects"] + 600
    assert (d.active + d.prospects + d.lapsed == people).all()
    before = np.concatenate([[cfg["population"]["prospects"]], d.prospects.to_numpy()[:-1]])
    assert (d.prospects == before - d.new + d.exits).all()
    assert d.exits.sum() > 0


def test_money_adds_up(result):
    d = result.daily
    assert np.allclose(
        d.profit + d.cost_service_centre,
        d.revenue * 0.45 - d.cost_service - d.cost_acquisition - d.cost_cx_investment,
    )
    # the people in the market at the end, and those who left it, paid and cost everything
    assert result.summary["revenue"] == pytest.approx(
        result.customers.revenue.sum() + d.exit_revenue.sum())
    assert np.isclose(result.customers.cost.sum() + d.exit_cost.sum(),
                      d.cost_service.sum() + d.cost_acquisition.sum())


def test_the_same_seed_gives_the_same_bytes(cfg, tmp_path):
    """Same config and seed: identical tables, written byte for byte."""
    a = Simulation(copy.deepcopy(cfg)).run().save(tmp_path / "a")
    b = Simulation(copy.deepcopy(cfg)).run().save(tmp_path / "b")
    for name in (
        "daily.csv",
        "customers.csv",
        "journey_map.csv",
        "cohorts.csv",
        "segments.csv",
        "summary.json",
        "daily.parquet",
        "customers.parquet",
    ):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_another_seed_gives_other_numbers(cfg):
    a = Simulation(copy.deepcopy(cfg)).run()
    cfg["seed"] = 43
    b = Simulation(cfg).run()
    assert not a.daily.equals(b.daily)


def test_common_random_numbers_leave_unrelated_mechanisms_unchanged(cfg):
    """Changing support quality changes experiences, but not who adopts through advertising:
    acquisition draws come from their own stream, so (with word of mouth and reviews,
    which carry experience to prospects, switched off) the new-customer series is
    identical while attitudes differ. (The market's turnover is off: lapsed customers who
    leave are replaced by newcomer prospects, so churn would change who can adopt.)"""
    cfg["population"]["lapsed_exit_days"] = 1e9
    cfg["word_of_mouth"].update(positive_contacts=0, negative_contacts=0)
    cfg["reviews"]["post_share"] = 0.0
    base = Simulation(copy.deepcopy(cfg)).run()
    cfg["journey"]["touchpoints"]["support"]["quality"] = dict.fromkeys(
        cfg["journey"]["touchpoints"]["support"]["quality"], 9.5
    )
    better = Simulation(cfg).run()
    assert (base.daily.new == better.daily.new).all()
    assert not np.allclose(base.daily.mean_attitude, better.daily.mean_attitude)
    assert better.daily.mean_attitude.iloc[-1] > base.daily.mean_attitude.iloc[-1]


def test_a_scenario_that_changes_nothing_changes_nothing(cfg):
    a = Simulation(copy.deepcopy(cfg)).run()
    b = Simulation(copy.deepcopy(cfg)).run()
    pd.testing.assert_frame_equal(a.daily, b.daily)


def test_customers_are_mesa_agents_that_read_the_arrays(cfg):
    model = CXModel(cfg)
    people = cfg["population"]["customers"] + cfg["population"]["prospects"] + 600  # lapsed
    assert len(model.agents) == people
    assert all(isinstance(a, Customer) for a in model.agents)
    loyal = model.agents.select(lambda a: a.segment == "loyal_high_value")
    assert 0 < len(loyal) < people
    one = model.customer(5)
    model.step()
    assert one.attitude == model.state.attitude[5]
    assert one.status in ("prospect", "active", "lapsed")
    assert "Customer(5" in repr(one)


def test_large_markets_skip_handles_but_still_give_one_on_request(cfg):
    cfg["population"]["agent_handles"] = "none"
    model = CXModel(cfg)
    assert len(model.agents) == 0
    assert model.customer(7).index == 7
    with pytest.raises(IndexError, match=r"customer index must be in \[0, 3599\]; got 3600"):
        model.customer(3600)


def test_model_steps_one_day_and_stops(cfg):
    cfg["days"] = 3
    model = CXModel(cfg)
    for _ in range(3):
        model.step()
    assert model.steps == 3
    assert not model.running
    with pytest.raises(RuntimeError, match="all have been simulated"):
        model.step()


def test_subscription_customers_churn_only_at_renewal(cfg):
    """With churn=at_renewal nobody leaves on a day without a billing visit."""
    cfg["journey"] = load_config(["journey=subscription"])["journey"]
    cfg["churn"]["daily_hazard_at_neutral"] = 0.01
    model = CXModel(cfg)
    while model.running:
        model.step()
    billing = model.journey.names.index("billing")
    visits = model.daily.tp_visits[:, billing]
    churned = model.daily.churned
    assert churned.sum() > 100
    assert (churned <= visits).all()
    assert churned[visits == 0].sum() == 0


def test_the_shape_of_survey_response_sets_the_sign_of_the_survey_gap(cfg):
    """When the satisfied answer more (slope > 0, Mazor et al. 2002) the survey NPS sits
    above the true NPS; when the dissatisfied do, below (the 90-day survey has a few
    hundred responses, se ~ 5 NPS points, so 10 points is a clear gap)."""
    cfg["days"] = 200
    cfg["survey"].update(invite_share=1.0, response_slope=2.0, response_curvature=0.0)
    flattering = Simulation(copy.deepcopy(cfg)).run().summary
    cfg["survey"]["response_slope"] = -2.0
    grim = Simulation(cfg).run().summary
    assert flattering["nps_survey_90d"] > flattering["nps"] + 10
    assert grim["nps_survey_90d"] < grim["nps"] - 10


def test_expectations_adapt_partially_and_stay_anchored(cfg):
    """A touchpoint's expectation moves toward what is perceived but keeps a pull toward the
    customer's own standard: with adaptation 0.1 and anchoring 0.05 a new customer who
    expects 7 and always gets 9.5 settles at (0.1 x 9.5 + 0.05 x 7) / 0.15 = 8.67, below
    9.5, so a better-than-market firm stays better in their eyes; the day-0 base starts
    there already (no noise: exact up to float32 storage)."""
    cfg["population"].update(customers=1, prospects=1)
    cfg["days"] = 200
    cfg["journey"] = one_touchpoint_journey(quality=9.5)
    cfg["segments"] = single_segment(expectation=7.0)
    cfg["service_centre"]["enabled"] = False
    cfg["experience"].update(perception_noise_sd=0.0, expectation_adaptation=0.1,
                             expectation_anchoring=0.05)
    cfg["churn"]["daily_hazard_at_neutral"] = 1e-9
    cfg["acquisition"].update(ad_rate_per_day=1.0)  # the prospect buys on day 0
    cfg["word_of_mouth"].update(positive_contacts=0, negative_contacts=0)
    model = CXModel(cfg)
    settled = (0.1 * 9.5 + 0.05 * 7.0) / 0.15
    assert model.state.tp_expectation[0, 0] == pytest.approx(settled, abs=1e-5)
    for _ in range(200):
        model.step()
    new_customer = model.state.tp_expectation[1, 0]
    assert 7.0 < new_customer < 9.5
    assert new_customer == pytest.approx(settled, abs=1e-4)


def test_switching_cost_keeps_customers(cfg):
    """A loyalty programme (switching cost) lowers churn under the same random numbers."""
    base = Simulation(copy.deepcopy(cfg)).run().daily.churned.sum()
    cfg["churn"]["switching_cost"] = 1.0
    locked = Simulation(cfg).run().daily.churned.sum()
    assert locked < 0.6 * base


def test_default_figures_look_like_a_real_business(default_cfg):
    """MODEL.md section 7: 12-month retention 40-85%, NPS -20..+60, a few per cent of
    customers contacting support per month, for every shipped journey."""
    for journey in ("retail", "subscription"):
        r = Simulation(load_config([f"journey={journey}"])).run()
        s = r.summary
        assert 0.40 <= s["retention"] <= 0.85, (journey, s["retention"])
        assert -20 <= s["nps"] <= 60, (journey, s["nps"])
        support = r.journey_map.set_index("touchpoint").visits["support"]
        customer_months = r.daily.active.sum() / 30
        assert 0.01 <= support / customer_months <= 0.08, journey


def test_replications_of_one_seed_are_independent_and_reproducible(cfg):
    """Replication r has its own streams, spawned from the root seed (SeedSequence)."""
    first = Simulation(copy.deepcopy(cfg)).run().daily
    cfg["replication"] = 1
    second = Simulation(copy.deepcopy(cfg)).run().daily
    again = Simulation(copy.deepcopy(cfg)).run().daily
    assert not first.equals(second)
    pd.testing.assert_frame_equal(second, again)


def test_results_do_not_depend_on_threads(cfg):
    """People are processed in fixed blocks whose sums are added in block order, so the
    serial kernels, the parallel ones and any number of threads give the same numbers."""
    import numba

    cfg["population"]["parallel"] = "off"
    serial = Simulation(copy.deepcopy(cfg)).run().daily
    cfg["population"]["parallel"] = "on"
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = Simulation(copy.deepcopy(cfg)).run().daily
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = Simulation(copy.deepcopy(cfg)).run().daily
    finally:
        numba.set_num_threads(threads)
    pd.testing.assert_frame_equal(serial, one)
    pd.testing.assert_frame_equal(one, many)
