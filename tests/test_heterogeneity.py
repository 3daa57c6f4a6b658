"""Persistent differences between people: churn frailty and episode rate (sim.engine.state).

Frailty reduces to a classical mixture: with a constant baseline hazard, a cohort's survival
is the lognormal mixture of geometric survivals, and its hazard falls with time although
nobody's own hazard does (Vaupel, Manton & Stallard 1979; sBG in Fader & Hardie 2007).
"""

import copy

import numpy as np
import pytest

from sim.engine.model import CXModel
from sim.mechanisms.churn import logit
from sim.simulation import Simulation
from tests.builders import one_touchpoint_journey, single_segment

NODES, WEIGHTS = np.polynomial.hermite_e.hermegauss(60)  # E[f(Z)], Z ~ N(0, 1)
WEIGHTS = WEIGHTS / WEIGHTS.sum()


def mixture(f, sd: float) -> float:
    """E[f(log m)] for log m ~ N(-sd^2/2, sd^2), the frailty of sim.engine.state.heterogeneity."""
    return float(np.sum(WEIGHTS * f(sd * NODES - 0.5 * sd * sd)))


@pytest.fixture
def closed_cfg(cfg):
    """A closed market of 20,000 customers who buy daily at one touchpoint; churn depends on
    neither attitude nor tenure (a constant baseline hazard c = 0.01), tenure 0."""
    cfg["population"].update(customers=20000, prospects=0, lapsed_per_customer=0.0,
                             lapsed_exit_days=1e9, agent_handles="none")
    cfg["days"] = 150
    cfg["journey"] = one_touchpoint_journey(price=10.0)
    cfg["service_centre"]["enabled"] = False
    cfg["segments"] = single_segment()
    cfg["churn"].update(daily_hazard_at_neutral=0.01, attitude_sensitivity=0.0,
                        switching_cost=0.0, loyalty_per_year=0.0, winback_rate_per_day=0.0,
                        onboarding_extra_log_odds=0.0, initial_tenure_mean_days=0.0)
    cfg["acquisition"]["ad_rate_per_day"] = 0.0
    return cfg


def test_frailty_survival_is_the_lognormal_mixture_of_geometric_survivals(closed_cfg):
    """S(t) = E[(1 - h_m)^t], h_m = logistic(logit(c) + log m): within 4 binomial standard
    errors at each checked day; and the cohort's daily hazard falls with time (sorting),
    while without frailty it stays at c."""
    n, c, sd = 20000, 0.01, 1.0
    closed_cfg["churn"]["frailty_sd"] = sd
    active = Simulation(closed_cfg).run().daily.active.to_numpy() / n
    for t in (10, 50, 100, 150):
        expected = mixture(lambda x, t=t: (1 - 1 / (1 + np.exp(-(logit(c) + x)))) ** t, sd)
        se = np.sqrt(expected * (1 - expected) / n)
        assert abs(active[t - 1] - expected) < 4 * se, (t, active[t - 1], expected)
    early = 1 - (active[29] / active[0]) ** (1 / 29)
    late = 1 - (active[149] / active[120]) ** (1 / 29)
    assert late < 0.85 * early  # measured 0.53: the frail have left
    closed_cfg["churn"]["frailty_sd"] = 0.0
    flat = Simulation(closed_cfg).run().daily.active.to_numpy() / n
    late0 = 1 - (flat[149] / flat[120]) ** (1 / 29)
    assert late0 == pytest.approx(c, abs=0.002)  # 4 SE of a 29-day hazard estimate


def test_day0_base_has_sorted_itself_by_tenure(closed_cfg):
    """A day-0 customer with tenure t survived a cumulative hazard H = c t, so their frailty
    multiplier's mean is E[m e^(-m H)] / E[e^(-m H)], lower for longer tenures. Checked in
    tenure bands against that posterior mean, within 4 standard errors of the band's mean."""
    sd, c = 0.8, 0.01
    closed_cfg["churn"].update(frailty_sd=sd, initial_tenure_mean_days=150.0)
    closed_cfg["days"] = 1
    model = CXModel(closed_cfg)
    s = model.state
    base = s.status == 1
    tenure = -s.acquired_day[base]
    m = np.exp(s.churn_frailty[base].astype(float))
    means = []
    for low, high in ((0, 20), (100, 140), (300, 400)):
        band = (tenure >= low) & (tenure < high)
        h = c * tenure[band].mean()  # baseline hazard ~ c (logistic of logit(c): exactly c)
        expected = (mixture(lambda x, h=h: np.exp(x) * np.exp(-np.exp(x) * h), sd)
                    / mixture(lambda x, h=h: np.exp(-np.exp(x) * h), sd))
        se = m[band].std() / np.sqrt(band.sum())
        # the band's spread of tenures bends the mean a little: 2% on top of 4 SE
        assert abs(m[band].mean() - expected) < 4 * se + 0.02 * expected, (low, m[band].mean(),
                                                                           expected)
        means.append(m[band].mean())
    assert means[0] > means[1] > means[2]


def test_heterogeneity_has_its_own_stream(closed_cfg):
    """Turning heterogeneity on changes nobody's other day-0 draws; off, everybody is alike."""
    off = CXModel(copy.deepcopy(closed_cfg)).state
    assert (off.churn_frailty == 0).all()
    assert (off.episode_rate == 1).all()
    closed_cfg["churn"]["frailty_sd"] = 1.0
    closed_cfg["population"]["episode_rate_sd"] = 1.0
    on = CXModel(closed_cfg).state
    for name in ("segment", "expectation", "attitude", "acquired_day", "nps_offset"):
        assert np.array_equal(getattr(off, name), getattr(on, name)), name
    assert on.churn_frailty.std() == pytest.approx(1.0, rel=0.05)
    assert np.exp(on.churn_frailty.astype(float)).mean() == pytest.approx(1.0, rel=0.05)


def test_episode_rates_make_purchase_counts_overdispersed(closed_cfg):
    """With episode_rate_sd > 0, people differ in how often they buy (NBD-like): counts
    spread far more than Poisson and follow each person's rate; the mean rate is kept."""
    closed_cfg["journey"].update(interval="random", episode_interval_days=10)
    closed_cfg["churn"]["daily_hazard_at_neutral"] = 1e-6
    closed_cfg["population"]["customers"] = 5000
    counts = {}
    for sd in (0.0, 1.0):
        closed_cfg["population"]["episode_rate_sd"] = sd
        model = CXModel(copy.deepcopy(closed_cfg))
        while model.day < model.days:
            model.step()
        counts[sd] = (model.state.episodes.astype(float), model.state.episode_rate.copy())
    plain, (spread, rate) = counts[0.0][0], counts[1.0]
    assert plain.var() < 1.5 * plain.mean()  # about Poisson (geometric gaps, capped rates)
    assert spread.var() > 5 * spread.mean()  # measured 21x
    assert np.corrcoef(rate, spread)[0, 1] > 0.8
    # mean purchases: within 15% (the gap of 1 + geometric is not exactly 1/rate for the fast)
    assert spread.mean() == pytest.approx(plain.mean(), rel=0.15)


def test_purchases_and_buyers_13w_count_what_they_say(closed_cfg):
    """Everybody buys every day while a customer: purchases on day d are the customers
    active at the end of day d-1, and buyers_13w counts today's customers plus those who
    left in the last 91 days (they bought on the day they left)."""
    closed_cfg["days"] = 200
    d = Simulation(closed_cfg).run().daily
    active, churned = d.active.to_numpy(), d.churned.to_numpy()
    assert (d.purchases.to_numpy()[1:] == active[:-1]).all()
    left_recently = np.convolve(churned, np.ones(91, dtype=int))[: len(churned)]
    assert (d.buyers_13w.to_numpy() == active + left_recently).all()


def test_the_rarest_buyers_do_not_overflow_the_calendar(closed_cfg):
    """At the widest allowed spread (episode_rate_sd 3) some rates are ~1e-8: their gaps are
    capped beyond any run instead of wrapping the int32 day to a negative one (which would
    make them buy every day)."""
    closed_cfg["journey"].update(interval="random", episode_interval_days=3650)
    closed_cfg["population"].update(customers=20000, episode_rate_sd=3.0)
    closed_cfg["days"] = 30
    model = CXModel(closed_cfg)
    while model.day < model.days:
        model.step()
    s = model.state
    assert s.episode_rate.min() < 1e-6  # the draw that overflowed before the cap
    assert (s.next_episode_day >= 0).all()
    rare = s.episode_rate < 1e-3
    assert (s.episodes[rare] <= 1).all()  # nobody with a rare rate bought every day
