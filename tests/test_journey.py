"""Journey maps are data; a malformed one is rejected naming the touchpoint and the problem."""

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.config import CONFIG_DIR
from sim.errors import ConfigError
from sim.mechanisms.journey import Journey

JOURNEYS = sorted((CONFIG_DIR / "journey").glob("*.yaml"))


@pytest.fixture
def retail() -> dict:
    return yaml.safe_load((CONFIG_DIR / "journey" / "retail.yaml").read_text())


@pytest.mark.parametrize("path", JOURNEYS, ids=lambda p: Path(p).stem)
def test_every_shipped_journey_is_valid(path):
    j = Journey.from_config(yaml.safe_load(Path(path).read_text()))
    assert np.allclose(j.transition.sum(axis=1), 1.0)
    assert (j.price > 0).any(), "a journey with no paying touchpoint earns nothing"


def test_at_least_a_retail_and_a_subscription_journey_ship():
    names = {Path(p).stem for p in JOURNEYS}
    assert {"retail", "subscription"} <= names
    sub = Journey.from_config(
        yaml.safe_load((CONFIG_DIR / "journey" / "subscription.yaml").read_text())
    )
    assert sub.churn_at_renewal
    assert sub.fixed_interval
    assert sub.episode_interval_days == 30
    assert sub.renewal[sub.names.index("billing")]


def test_unknown_touchpoint_in_next(retail):
    retail["touchpoints"]["usage"]["next"] = {"end": 0.5, "returns": 0.5}
    with pytest.raises(
        ConfigError,
        match=r"journey.touchpoints.usage.next: unknown touchpoint "
        r"'returns'; known touchpoints: awareness, website",
    ):
        Journey.from_config(retail)


def test_unknown_touchpoint_in_start(retail):
    retail["start"] = {"tv_ad": 1.0}
    with pytest.raises(ConfigError, match=r"journey.start: unknown touchpoint 'tv_ad'"):
        Journey.from_config(retail)


def test_end_is_not_a_start(retail):
    retail["repeat_start"] = {"end": 1.0}
    with pytest.raises(ConfigError, match=r"journey.repeat_start: unknown touchpoint 'end'"):
        Journey.from_config(retail)


def test_probabilities_must_sum_to_one(retail):
    retail["touchpoints"]["delivery"]["next"] = {"usage": 0.9, "support": 0.05}
    with pytest.raises(
        ConfigError,
        match=r"journey.touchpoints.delivery.next: probabilities "
        r"must sum to 1; they sum to 0.95",
    ):
        Journey.from_config(retail)


def test_negative_probability(retail):
    retail["touchpoints"]["delivery"]["next"] = {"usage": 1.0, "support": -0.1}
    with pytest.raises(
        ConfigError,
        match=r"journey.touchpoints.delivery.next.support must be "
        r"in \[0, 1\]",
    ):
        Journey.from_config(retail)


def test_unreachable_touchpoint(retail):
    retail["touchpoints"]["loyalty_club"] = copy.deepcopy(retail["touchpoints"]["usage"])
    with pytest.raises(ConfigError, match=r"touchpoint 'loyalty_club' is unreachable"):
        Journey.from_config(retail)


def test_dead_end_touchpoint(retail):
    """A loop with no way out: support sends customers back to usage, usage to support."""
    retail["touchpoints"]["usage"]["next"] = {"support": 1.0}
    retail["touchpoints"]["support"]["next"] = {"usage": 1.0}
    with pytest.raises(
        ConfigError,
        match=r"touchpoint 'usage' is a dead end: no path from it "
        r"leads to 'end' \(nor from .*support",
    ):
        Journey.from_config(retail)


def test_negative_cost(retail):
    retail["touchpoints"]["delivery"]["cost"] = -1
    with pytest.raises(
        ConfigError,
        match=r"touchpoint 'delivery': journey.touchpoints.delivery"
        r".cost must be a finite number >= 0 \(no upper bound\); got -1",
    ):
        Journey.from_config(retail)


def test_negative_weight(retail):
    retail["touchpoints"]["support"]["weight"] = -2
    with pytest.raises(
        ConfigError,
        match=r"touchpoint 'support': journey.touchpoints.support"
        r".weight must be a finite number >= 0",
    ):
        Journey.from_config(retail)


def test_quality_outside_the_scale(retail):
    retail["touchpoints"]["store"]["quality"]["empathy"] = 11
    with pytest.raises(
        ConfigError,
        match=r"journey.touchpoints.store.quality.empathy must be "
        r"in \[0, 10\]",
    ):
        Journey.from_config(retail)


def test_missing_touchpoint_key(retail):
    del retail["touchpoints"]["store"]["price"]
    with pytest.raises(
        ConfigError,
        match=r"touchpoint 'store': missing key "
        r"journey.touchpoints.store.price",
    ):
        Journey.from_config(retail)


def test_unknown_touchpoint_key(retail):
    retail["touchpoints"]["store"]["colour"] = "red"
    with pytest.raises(
        ConfigError,
        match=r"unknown key journey.touchpoints.store.colour; "
        r"allowed keys: channel, quality",
    ):
        Journey.from_config(retail)


def test_unknown_channel(retail):
    retail["touchpoints"]["store"]["channel"] = "carrier pigeon"
    with pytest.raises(
        ConfigError,
        match=r"journey.touchpoints.store.channel must be one of "
        r"online, offline",
    ):
        Journey.from_config(retail)


def test_end_is_reserved(retail):
    retail["touchpoints"]["end"] = copy.deepcopy(retail["touchpoints"]["usage"])
    with pytest.raises(ConfigError, match=r"'end' is reserved"):
        Journey.from_config(retail)


def test_unknown_journey_key(retail):
    retail["duration"] = 3
    with pytest.raises(ConfigError, match=r"unknown key journey.duration; allowed keys: name"):
        Journey.from_config(retail)


def test_churn_mode(retail):
    retail["churn"] = "never"
    with pytest.raises(ConfigError, match=r"journey.churn must be one of anytime, at_renewal"):
        Journey.from_config(retail)


def test_sampling_never_picks_an_impossible_touchpoint(retail):
    """Cumulative probabilities reach exactly 1 at the last possible outcome."""
    j = Journey.from_config(retail)
    for row, probs in zip(j.transition_cum, j.transition, strict=True):
        last = np.nonzero(probs > 0)[0].max()
        assert row[last] == 1.0
        assert (np.diff(row, prepend=0.0)[probs == 0] == 0).all()
