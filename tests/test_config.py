"""Bad input stops the run before any simulation work, with a message naming the key
and what is allowed."""

import pytest

from sim.config import check_override_keys, load_config
from sim.config.schema import validate
from sim.engine.model import CXModel
from sim.errors import ConfigError


def test_the_shipped_default_config_is_valid(default_cfg):
    """configs/config.yaml passes its own schema."""
    assert validate(default_cfg)["days"] == 365


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("days",), 0, r"days must be an integer in \[1, 36500\]; got 0"),
        (("days",), 1.5, r"days must be an integer in \[1, 36500\]; got 1.5"),
        (("seed",), -1, r"seed must be an integer in \[0, "),
        (("population", "customers"), "many", r"population.customers must be an integer"),
        (
            ("population", "agent_handles"),
            "some",
            r"population.agent_handles must be one of auto, all, none; got 'some'",
        ),
        (
            ("churn", "daily_hazard_at_neutral"),
            0.0,
            r"churn.daily_hazard_at_neutral must be in \(0, 0.999\]; got 0.0",
        ),
        (
            ("churn", "attitude_sensitivity"),
            -1.0,
            r"churn.attitude_sensitivity must be in \[0, 20\]",
        ),
        (("experience", "loss_aversion"), 11, r"experience.loss_aversion must be in \[0, 10\]"),
        (("experience", "alpha"), 0, r"experience.alpha must be in \[0.01, 1\]"),
        (
            ("memory", "rule"),
            "average",
            r"memory.rule must be one of peak_end, mean, sum; got 'average'",
        ),
        (
            ("memory", "half_life_days"),
            0,
            r"memory.half_life_days must be a finite number > 0 \(no upper bound\); got 0",
        ),
        (
            ("acquisition", "ad_rate_per_day"),
            1.5,
            r"acquisition.ad_rate_per_day must be in \[0, 1\]",
        ),
        (("output", "plots"), "yes", r"output.plots must be true, false or auto; got 'yes'"),
        (
            ("output", "formats"),
            ["xlsx"],
            r"output.formats may contain only parquet, csv; got 'xlsx'",
        ),
        (("output", "formats"), "csv", r"output.formats must be a list drawn from parquet, csv"),
        (
            ("segments", "mainstream", "share"),
            1.2,
            r"segments.mainstream.share must be in \[0, 1\]",
        ),
        (
            ("segments", "mainstream", "pillar_weights", "empathy"),
            -0.1,
            r"segments.mainstream.pillar_weights.empathy must be a finite number >= 0 \(no upper",
        ),
        (
            ("survey", "response_rate_at_neutral"),
            1.0,
            r"survey.response_rate_at_neutral must be in",
        ),
    ],
)
def test_out_of_range_values_name_the_key_and_the_range(cfg, path, value, message):
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=message):
        validate(cfg)


def test_unknown_keys_are_rejected_with_the_allowed_keys(cfg):
    cfg["churn"]["hazard"] = 0.1
    with pytest.raises(
        ConfigError,
        match=r"unknown key churn.hazard; allowed keys here: "
        r"daily_hazard_at_neutral, attitude_sensitivity",
    ):
        validate(cfg)


def test_unknown_top_level_key(cfg):
    cfg["colour"] = "blue"
    with pytest.raises(
        ConfigError, match=r"unknown key colour; allowed keys here: seed, replication, days"
    ):
        validate(cfg)


def test_unknown_segment_key(cfg):
    cfg["segments"]["mainstream"]["budget"] = 3
    with pytest.raises(ConfigError, match=r"unknown key segments.mainstream.budget; allowed keys"):
        validate(cfg)


def test_missing_key(cfg):
    del cfg["money"]["gross_margin"]
    with pytest.raises(ConfigError, match=r"missing key money.gross_margin"):
        validate(cfg)


def test_a_section_that_is_not_a_mapping(cfg):
    cfg["money"] = 3
    with pytest.raises(ConfigError, match=r"money must be a mapping with keys gross_margin"):
        validate(cfg)


def test_segment_shares_must_sum_to_one(cfg):
    cfg["segments"]["mainstream"]["share"] = 0.6
    with pytest.raises(ConfigError, match=r"segments: the shares must sum to 1; they sum to 1.1"):
        validate(cfg)


def test_segments_must_not_be_empty(cfg):
    cfg["segments"] = {}
    with pytest.raises(ConfigError, match=r"segments must be a non-empty mapping"):
        validate(cfg)


def test_pillar_weights_cannot_all_be_zero(cfg):
    cfg["segments"]["mainstream"]["pillar_weights"] = dict.fromkeys(
        cfg["segments"]["mainstream"]["pillar_weights"], 0.0
    )
    with pytest.raises(ConfigError, match=r"segments.mainstream.pillar_weights: at least one"):
        validate(cfg)


def test_an_empty_market_is_rejected(cfg):
    cfg["population"].update(customers=0, prospects=0)
    with pytest.raises(ConfigError, match=r"population: customers \+ prospects must be at least 1"):
        validate(cfg)


def test_the_model_validates_before_building_anything(cfg, monkeypatch):
    """A bad value raises before the population is drawn (no simulation work)."""
    import sim.engine.setup

    def must_not_run(*args, **kwargs):
        raise AssertionError("the population was built before validation")

    monkeypatch.setattr(sim.engine.setup, "initial_state", must_not_run)
    cfg["days"] = -5
    with pytest.raises(ConfigError, match="days must be"):
        CXModel(cfg)


def test_override_of_an_unknown_key_lists_the_allowed_keys():
    with pytest.raises(
        ConfigError,
        match=r"unknown key churn.foo in override 'churn.foo=1'; "
        r"allowed keys at churn: daily_hazard_at_neutral",
    ):
        check_override_keys(["churn.foo=1"])


def test_override_of_an_unknown_section():
    with pytest.raises(
        ConfigError,
        match=r"unknown key colour in override 'colour=red'; "
        r"allowed keys at the top level: seed, replication, days",
    ):
        load_config(["colour=red"])


def test_override_below_a_leaf():
    with pytest.raises(ConfigError, match=r"unknown key days.x .*allowed keys at days: none"):
        check_override_keys(["days.x=1"])


def test_overrides_of_known_keys_segments_and_groups_pass():
    check_override_keys(
        [
            "days=3",
            "segments.mainstream.share=0.5",
            "journey=subscription",
            "journey.touchpoints.support.cost=3",
            "+extra=1",
            "hydra.verbose=true",
        ]
    )


def test_overrides_are_applied(default_cfg):
    cfg = load_config(["days=30", "journey=subscription", "churn.switching_cost=0.5"])
    assert cfg["days"] == 30
    assert cfg["journey"]["name"] == "subscription"
    assert cfg["churn"]["switching_cost"] == 0.5
    assert default_cfg["days"] == 365
