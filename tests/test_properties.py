"""Property tests (Hypothesis): random valid configs across the declared ranges run soundly
and reproducibly; random invalid values of every declared key are rejected, naming the key.

Valid configs: both journeys, every network kind, the service centre on and off, every
scenario that fits the journey, and every numeric setting of the schema drawn from its
declared range (unbounded ones up to a cap), in small markets over a few weeks. Examples
are derandomised (the same examples on every run), so the suite is reproducible; the
database is off, so nothing is written into the repository.
"""

import contextlib
import copy
import json
import math
import os
import tempfile
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim import Simulation
from sim.config import load_config
from sim.config.schema import SCHEMA, Num, validate
from sim.errors import ConfigError
from sim.files import finite
from sim.studies.scenarios import available_scenarios

SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KINDS = ("small_world", "scale_free", "random", "edge_list", "fully_mixed")
FIXED = {  # drawn separately (sizes, identity, network shape) or tied to another key
    ("seed",), ("replication",), ("days",), ("population", "customers"),
    ("population", "prospects"), ("network", "mean_degree"),
    ("word_of_mouth", "positive_threshold"), ("word_of_mouth", "negative_threshold"),
}
CAP = 1000.0  # the largest value drawn for a setting without an upper bound
# columns that are a mean or share of something that may not have happened yet (no
# episodes, no survey answers, no calls): NaN there means "none", never inf
MEANS = {
    "csat", "survey_nps_30d", "survey_csat_30d", "service_mean_wait_s", "service_p90_wait_s",
    "service_level", "service_occupancy", "mean_felt_value", "delight_share", "pain_share",
    "daily_churn_rate", "margin_per_customer_day", "review_average",
    "projected_clv",  # null with a reason in summary.json (checked in the test)
    "mean_attitude", "mean_expectation", "nps",  # of active customers: none once all left
}


def _leaves(schema, prefix=()):
    for k, rule in schema.items():
        if isinstance(rule, dict):
            yield from _leaves(rule, (*prefix, k))
        elif isinstance(rule, Num):
            yield (*prefix, k), rule


NUMERIC = [(path, rule) for path, rule in _leaves(SCHEMA) if path not in FIXED]


@cache
def _base(journey: str, scenario: str) -> str:
    return json.dumps(load_config([f"journey={journey}", f"scenario={scenario}"]))


@cache
def _scenarios(journey: str) -> tuple[str, ...]:
    fits = ("any", journey)
    names = available_scenarios()
    return tuple(n for n in names if load_config([f"scenario={n}"])["scenario"]["journey"] in fits)


def _value(rule: Num):
    low = rule.low if rule.low is not None else -CAP
    high = rule.high if rule.high is not None else max(low, 0.0) + CAP
    if rule.integer:
        return st.integers(int(low) + (1 if rule.low_open else 0), int(min(high, 10**6)))
    return st.floats(low, high, exclude_min=rule.low_open, allow_nan=False)


@st.composite
def valid_configs(draw):
    journey = draw(st.sampled_from(("retail", "subscription")))
    scenario = draw(st.sampled_from(_scenarios(journey)))
    cfg = json.loads(_base(journey, scenario))
    for path, rule in NUMERIC:
        if draw(st.booleans()):  # half the settings off their default, each example
            node = cfg
            for k in path[:-1]:
                node = node[k]
            node[path[-1]] = draw(_value(rule))
    pop = cfg["population"]
    pop["customers"] = draw(st.integers(10, 300))
    pop["prospects"] = draw(st.integers(10, 200))
    pop["parallel"] = "off"
    cfg["days"] = draw(st.integers(1, 45))
    cfg["seed"] = draw(st.integers(0, 2**63 - 1))
    cfg["replication"] = draw(st.integers(0, 3))
    n = pop["customers"] + pop["prospects"]
    net = cfg["network"]
    net["kind"] = draw(st.sampled_from(KINDS))
    net["mean_degree"] = draw(st.floats(1.0, 12.0))
    wom = cfg["word_of_mouth"]
    a, b = sorted(draw(st.floats(-10.0, 10.0)) for _ in range(2))
    wom["negative_threshold"], wom["positive_threshold"] = a, b
    cfg["service_centre"]["enabled"] = draw(st.booleans())
    cfg["output"]["plots"] = False
    edges = None
    if net["kind"] == "edge_list":
        edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                              min_size=1, max_size=60))
        edges.append((0, 1))  # at least one usable edge
    return cfg, edges


@contextlib.contextmanager
def _with_edges(cfg, edges):
    """The config, with its drawn edge list (if any) in a temporary file while it runs."""
    if edges is None:
        yield cfg
        return
    fd, path = tempfile.mkstemp(suffix=".txt")
    try:
        with os.fdopen(fd, "w") as f:
            f.write("".join(f"{u} {v}\n" for u, v in edges))
        cfg = copy.deepcopy(cfg)
        cfg["network"]["path"] = path
        yield cfg
    finally:
        os.unlink(path)


def _run(cfg, edges):
    with _with_edges(cfg, edges) as c:
        return Simulation(c).run()


def _check_table(name, table):
    for col in table.select_dtypes("number"):
        x = table[col].to_numpy(dtype=float)
        assert not np.isinf(x).any(), (name, col)
        if col not in MEANS:
            assert not np.isnan(x).any(), (name, col)


@settings(SETTINGS, max_examples=120)
@given(valid_configs())
def test_random_valid_configs_run_soundly(drawn):
    cfg, edges = drawn
    try:
        result = _run(cfg, edges)
    except ConfigError as err:  # a combination the checks refuse, before any work
        refused = str(err)
    else:
        refused = None
    event("refused" if refused else "ran")
    if refused is not None:
        assert "must" in refused, refused
        return
    n = result.summary["people"]
    d = result.daily
    for name in ("daily", "customers", "journey_map", "touchpoints_daily", "cohorts",
                 "segments", "service_hourly"):
        _check_table(name, getattr(result, name))
    counts = ["active", "new", "won_back", "churned", "prospects", "lapsed", "promoters",
              "passives", "detractors", "visits", "episodes", "survey_responses", "referrals",
              "reviews", "wom_positive", "wom_negative"]
    assert (d[counts] >= 0).all().all()
    # the population is conserved every day: everybody is active, a prospect or lapsed
    assert ((d.active + d.prospects + d.lapsed) == n).all()
    assert ((d.promoters + d.passives + d.detractors) <= d.active).all()
    nobody = d.active == 0
    assert d.nps[~nobody].between(-100, 100).all()
    assert (d.mean_attitude.isna() == nobody).all()
    assert (d.mean_expectation.isna() == (d.visits == 0)).all()  # held at today's visits
    assert (d.nps.isna() == nobody).all()
    assert d.mean_expectation.dropna().between(0, 10).all()
    assert result.customers.expectation.between(0, 10).all()
    assert np.isfinite(result.customers.attitude).all()
    for col in ("service_level", "service_occupancy", "csat"):
        x = d[col].dropna()
        assert x.between(0, 1).all(), col
    assert 0 <= result.summary["retention"] <= 1
    clv = result.segments.set_index("segment").projected_clv
    assert set(clv[clv.isna()].index) == set(result.summary["clv_notes"])
    json.dumps(finite(result.summary), allow_nan=False)  # strict JSON


@settings(SETTINGS, max_examples=15)
@given(valid_configs())
def test_the_same_seed_gives_the_same_bytes(drawn):
    cfg, edges = drawn
    with _with_edges(cfg, edges) as c:
        try:
            first = Simulation(c).run()
        except ConfigError:
            return
        second = Simulation(c).run()
    assert first.daily.to_csv().encode() == second.daily.to_csv().encode()
    assert first.customers.to_csv().encode() == second.customers.to_csv().encode()
    assert json.dumps(finite(first.summary), default=str) == json.dumps(
        finite(second.summary), default=str
    )


def _invalid(rule: Num):
    """Values a rule must refuse: NaN, inf, wrong types, outside its range, fractions of counts."""
    bad = [st.sampled_from([math.nan, math.inf, -math.inf, None, "x", True, [1]])]
    if rule.integer:
        bad.append(st.integers(max_value=int(rule.low) - 1))
        if rule.high is not None:
            bad.append(st.integers(min_value=int(rule.high) + 1))
        bad.append(st.just(float(rule.low) + 0.5))
        return st.one_of(bad)
    if rule.low is not None:
        below = st.floats(max_value=rule.low, allow_nan=False, allow_infinity=False)
        bad.append(below.filter(lambda x: x < rule.low or (rule.low_open and x == rule.low)))
    if rule.high is not None:
        bad.append(st.floats(min_value=rule.high, exclude_min=True, allow_nan=False))
    return st.one_of(bad)


@pytest.fixture(scope="module")
def default_plain():
    return load_config()


@settings(SETTINGS, max_examples=200)
@given(data=st.data())
def test_random_invalid_values_are_rejected_naming_the_key(default_plain, data):
    path, rule = data.draw(st.sampled_from(list(_leaves(SCHEMA))))
    value = data.draw(_invalid(rule))
    cfg = copy.deepcopy(default_plain)
    node = cfg
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    key = ".".join(path)
    with pytest.raises(ConfigError, match=rf"^{key} must be "):
        validate(cfg)
