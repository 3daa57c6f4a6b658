"""Declared parameters: every config key, its type and its allowed range.

The defaults live in `configs/` (one source of truth, with the reasoning beside each
number); this module only says what is allowed, so that a typo or an impossible value
stops the run before any simulation work, with a message naming the key and what
would have been accepted.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.errors import ConfigError
from sim.word_of_mouth import MAX_CONTACTS

PILLARS = ("integrity", "resolution", "expectations", "time_effort", "personalisation", "empathy")


@dataclass(frozen=True)
class Num:
    """A number in [low, high] (bounds optional); `integer` for counts."""

    low: float | None = None
    high: float | None = None
    integer: bool = False
    low_open: bool = False  # (low, high]: the low bound itself is not allowed

    def check(self, key: str, value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key} must be {self.allowed()}; got {value!r}")
        if not math.isfinite(value):  # NaN passes every comparison; inf passes open bounds
            raise ConfigError(f"{key} must be {self.allowed()}; got {value!r} (not finite)")
        if self.integer and value != int(value):
            raise ConfigError(f"{key} must be {self.allowed()}; got {value!r}")
        too_low = self.low is not None and (
            value < self.low or (self.low_open and value == self.low)
        )
        if too_low or (self.high is not None and value > self.high):
            raise ConfigError(f"{key} must be {self.allowed()}; got {value!r}")
        return int(value) if self.integer else float(value)

    def allowed(self) -> str:
        """What the rule accepts, in words: "a finite number >= 0 (no upper bound)"."""
        if self.integer:
            return f"an integer{self._range()}"
        if self.low is not None and self.high is not None:
            return self._range().strip()  # "in [0, 1]": finite by its bounds
        side = "upper" if self.high is None else "lower"
        return f"a finite number{self._range()} (no {side} bound)"

    def _range(self) -> str:
        fmt = (lambda x: str(int(x))) if self.integer else _fmt
        bracket = "(" if self.low_open else "["
        if self.low is not None and self.high is not None:
            return f" in {bracket}{fmt(self.low)}, {fmt(self.high)}]"
        if self.low is not None:
            return f" > {fmt(self.low)}" if self.low_open else f" >= {fmt(self.low)}"
        if self.high is not None:
            return f" <= {fmt(self.high)}"
        return ""


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of strings."""

    options: tuple[str, ...]

    def check(self, key: str, value: Any) -> str:
        if value not in self.options:
            raise ConfigError(f"{key} must be one of {', '.join(self.options)}; got {value!r}")
        return value


@dataclass(frozen=True)
class Flag:
    def check(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false; got {value!r}")
        return value


@dataclass(frozen=True)
class FlagOrAuto:
    def check(self, key: str, value: Any) -> bool | str:
        if not isinstance(value, bool) and value != "auto":
            raise ConfigError(f"{key} must be true, false or auto; got {value!r}")
        return value


@dataclass(frozen=True)
class SubsetOf:
    """A list drawn from a fixed set of strings."""

    options: tuple[str, ...]

    def check(self, key: str, value: Any) -> list[str]:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ConfigError(f"{key} must be a list drawn from {', '.join(self.options)}")
        for item in value:
            if item not in self.options:
                raise ConfigError(f"{key} may contain only {', '.join(self.options)}; got {item!r}")
        return list(value)


@dataclass(frozen=True)
class OptionalText:
    """A string, or null."""

    def check(self, key: str, value: Any) -> str | None:
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{key} must be a string or null; got {value!r}")
        return value


@dataclass(frozen=True)
class ListOfText:
    """A list of strings (names checked where they are used)."""

    def check(self, key: str, value: Any) -> list[str]:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ConfigError(f"{key} must be a list of names; got {value!r}")
        if not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key} must be a list of names; got {value!r}")
        return list(value)


@dataclass(frozen=True)
class Text:
    """A non-empty string."""

    def check(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{key} must be a non-empty string; got {value!r}")
        return value


@dataclass(frozen=True)
class Opaque:
    """A section checked by its own module (the journey map)."""

    def check(self, key: str, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class MapOf:
    """A mapping from user-chosen names to sections of one schema (segments)."""

    schema: Mapping[str, Any]

    def check(self, key: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping) or not value:
            raise ConfigError(f"{key} must be a non-empty mapping of name -> settings")
        return {
            str(name): check_section(f"{key}.{name}", item, self.schema)
            for name, item in value.items()
        }


PROB = Num(0.0, 1.0)
POSITIVE = Num(0.0)

SEGMENT = {
    "share": PROB,
    "spend_multiplier": POSITIVE,
    "spend_sd": Num(0.0, 3.0),
    "expectation": Num(0.0, 10.0),
    "expectation_sd": Num(0.0, 5.0),
    "churn_sensitivity": POSITIVE,
    "price_sensitivity": Num(0.0, 10.0),
    "channel_convenience": {"online": Num(-5.0, 5.0), "offline": Num(-5.0, 5.0)},
    "pillar_weights": dict.fromkeys(PILLARS, POSITIVE),
}

SCHEMA: dict[str, Any] = {
    "seed": Num(0, 2**63 - 1, integer=True),
    "replication": Num(0, 2**31 - 1, integer=True),
    "days": Num(1, 36500, integer=True),
    "population": {
        "customers": Num(0, 100_000_000, integer=True),
        "prospects": Num(0, 100_000_000, integer=True),
        "lapsed_per_customer": Num(0.0, 100.0),
        "lapsed_exit_days": Num(1.0, 1e9),
        "episode_rate_sd": Num(0.0, 3.0),
        "agent_handles": Choice(("auto", "all", "none")),
        "parallel": Choice(("auto", "on", "off")),
    },
    "segments": MapOf(SEGMENT),
    "journey": Opaque(),
    "service_centre": Opaque(),  # checked by sim.support_calls and sim.service_centre
    "experience": {
        "alpha": Num(0.01, 1.0),
        "loss_aversion": Num(0.0, 10.0),
        "performance_weight": Num(0.0, 10.0),
        "performance_reference": Num(0.0, 10.0),
        "market_norm": Num(0.0, 10.0),
        "tolerance_zone": Num(0.0, 10.0),
        "tolerance_slope": Num(0.0, 10.0),
        "perception_noise_sd": Num(0.0, 5.0),
        "complexity_penalty": Num(0.0, 10.0),
        "expectation_adaptation": PROB,
        "expectation_anchoring": PROB,
        "delight_threshold": Num(0.0, 10.0),
        "pain_threshold": Num(-10.0, 0.0),
    },
    "problems": {
        "failure_quality": Num(0.0, 10.0),
        "contact_share": PROB,
        "resolution_rate": PROB,
        "recovery_repair": PROB,
        "recovery_paradox": Flag(),
        "recovery_bonus": Num(0.0, 10.0),
    },
    "memory": {
        "rule": Choice(("peak_end", "mean", "sum")),
        "episode_weight": PROB,
        "half_life_days": Num(0.0, low_open=True),
        "initial_attitude_sd": Num(0.0, 10.0),
    },
    "churn": {
        "daily_hazard_at_neutral": Num(0.0, 0.999, low_open=True),
        "attitude_sensitivity": Num(0.0, 20.0),
        "switching_cost": Num(0.0, 20.0),
        "loyalty_per_year": Num(0.0, 20.0),
        "winback_rate_per_day": PROB,
        "winback_cost": POSITIVE,
        "initial_tenure_mean_days": POSITIVE,
        "onboarding_extra_log_odds": Num(0.0, 20.0),
        "onboarding_half_life_days": Num(0.0, 3650.0, low_open=True),
        "frailty_sd": Num(0.0, 3.0),
    },
    "acquisition": {
        "ad_rate_per_day": PROB,
        "cost_per_acquisition": POSITIVE,
        "referral_rate": PROB,
        "intent_sensitivity": Num(0.0, 20.0),
        "cost_per_referral": POSITIVE,
    },
    "network": {
        "kind": Choice(("small_world", "scale_free", "random", "edge_list", "fully_mixed")),
        "mean_degree": Num(0.0),
        "rewire_prob": PROB,
        "path": OptionalText(),
        "homophily": PROB,
    },
    "word_of_mouth": {
        "name": OptionalText(),
        "positive_contacts": Num(0, MAX_CONTACTS, integer=True),
        "negative_contacts": Num(0, MAX_CONTACTS, integer=True),
        "positive_threshold": Num(-10.0, 10.0),
        "negative_threshold": Num(-10.0, 10.0),
        "attitude_per_message": Num(0.0, 10.0),
        "negative_message_weight": Num(0.0, 100.0),
        "expectation_per_message": Num(0.0, 10.0),
        "weak_tie_share": PROB,
    },
    "reviews": {
        "post_share": PROB,
        "initial_average": Num(1.0, 5.0),
        "initial_count": Num(0, 10**9, integer=True),
        "neutral_stars": Num(1.0, 5.0),
        "sales_sensitivity": Num(0.0, 10.0),
        "expectation_per_star": Num(0.0, 10.0),
    },
    "money": {
        "gross_margin": PROB,
        "annual_discount_rate": Num(0.0, 10.0),
        "spend_satisfaction_elasticity": Num(0.0, 10.0),
        "cx_investment_per_day": POSITIVE,
        "spend_growth_per_year": Num(0.0, 10.0),
        "cost_to_serve_decline_per_year": PROB,
        "tenure_effect_years": Num(0.0, 100.0),
        "price_index": Num(0.01, 100.0),
        "reference_price_index": Num(0.01, 100.0),
    },
    "product": {
        "features": Num(1, 1000, integer=True),
        "market_features": Num(1, 1000, integer=True),
        "attraction_per_feature": Num(0.0, 10.0),
        "expectation_per_feature": Num(0.0, 10.0),
        "usefulness": Num(0.0, 10.0),
        "complexity_per_feature": Num(0.0, 10.0),
        "used_at": ListOfText(),
    },
    "nps": {
        "at_neutral": Num(0.0, 10.0),
        "per_attitude_unit": Num(0.0, 10.0),
        "individual_sd": Num(0.0, 10.0),
    },
    "survey": {
        "invite_share": PROB,
        "response_rate_at_neutral": Num(0.0001, 0.9999),
        "response_slope": Num(-10.0, 10.0),
        "response_curvature": Num(-10.0, 10.0),
    },
    "scenario": {  # set by configs/scenario/*.yaml (`scenario=NAME`); costs make ROI computable
        "name": Text(),
        "description": Text(),
        "journey": Text(),  # the journey whose touchpoints the overlay changes, or "any"
        "one_off_cost": POSITIVE,  # up-front cost; the daily cost is money.cx_investment_per_day
    },
    "output": {
        "plots": FlagOrAuto(),
        "formats": SubsetOf(("parquet", "csv")),
    },
}


class UnknownKey(ConfigError):
    """A dotted key that the schema does not declare: where it goes wrong, what is allowed."""

    def __init__(self, where: str, allowed: str) -> None:
        super().__init__(f"unknown key; allowed keys at {where}: {allowed}")
        self.where, self.allowed = where, allowed


def find_rule(key: str, expand: Any = None) -> Any:
    """The declaration of a dotted key (`churn.switching_cost`, `segments.NAME.share`).

    Stops at a section its own module checks (Opaque, returned), unless `expand(path, rule)`
    gives that section's declarations. Raises UnknownKey naming the level where the key
    goes wrong and the keys allowed there.
    """
    rule: Any = SCHEMA
    path: list[str] = []
    for part in key.split("."):
        if expand is not None and isinstance(rule, Opaque):
            rule = expand(path, rule)
        if isinstance(rule, Opaque):
            return rule
        if isinstance(rule, MapOf):
            path.append(part)
            rule = rule.schema
            continue
        if not isinstance(rule, Mapping) or part not in rule:
            allowed = ", ".join(rule) if isinstance(rule, Mapping) else "none (not a section)"
            raise UnknownKey(".".join(path) or "the top level", allowed)
        path.append(part)
        rule = rule[part]
    return rule


def lapsed_on_day_0(population: Mapping[str, Any]) -> int:
    """Ex-customers in the market on day 0: population.lapsed_per_customer x customers."""
    return round(population["lapsed_per_customer"] * population["customers"])


def _fmt(x: float) -> str:
    return f"{x:g}"


def check_section(prefix: str, value: Any, schema: Mapping[str, Any]) -> dict[str, Any]:
    """Check a mapping against a schema: unknown keys, missing keys, each value."""
    where = prefix or "the config"
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a mapping with keys {', '.join(schema)}")
    unknown = [k for k in value if k not in schema]
    if unknown:
        name = f"{prefix}.{unknown[0]}" if prefix else str(unknown[0])
        raise ConfigError(f"unknown key {name}; allowed keys here: {', '.join(schema)}")
    missing = [k for k in schema if k not in value]
    if missing:
        name = f"{prefix}.{missing[0]}" if prefix else missing[0]
        raise ConfigError(f"missing key {name}")
    out = {}
    for k, rule in schema.items():
        key = f"{prefix}.{k}" if prefix else k
        out[k] = (
            check_section(key, value[k], rule)
            if isinstance(rule, Mapping)
            else rule.check(key, value[k])
        )
    return out


def validate(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Check a whole config; returns it as plain Python with numbers typed.

    The journey section is checked by `sim.journey.Journey.from_config` when the
    model is built, which happens before any simulation work too.
    """
    out = check_section("", cfg, SCHEMA)
    shares = sum(s["share"] for s in out["segments"].values())
    if abs(shares - 1.0) > 1e-6:
        raise ConfigError(f"segments: the shares must sum to 1; they sum to {shares:g}")
    for name, seg in out["segments"].items():
        if sum(seg["pillar_weights"].values()) <= 0:
            raise ConfigError(f"segments.{name}.pillar_weights: at least one weight must be > 0")
    pop = out["population"]
    if pop["customers"] + pop["prospects"] + lapsed_on_day_0(pop) == 0:
        raise ConfigError("population: customers + prospects must be at least 1")
    exp = out["experience"]
    if exp["expectation_adaptation"] + exp["expectation_anchoring"] > 1.0:
        raise ConfigError(
            "experience.expectation_adaptation + experience.expectation_anchoring must be at "
            f"most 1 (they share one step toward experience and anchor); got "
            f"{exp['expectation_adaptation']:g} + {exp['expectation_anchoring']:g}"
        )
    wom = out["word_of_mouth"]
    if wom["negative_threshold"] > wom["positive_threshold"]:
        raise ConfigError(
            "word_of_mouth.negative_threshold must not be above word_of_mouth.positive_threshold"
            f" ({wom['negative_threshold']:g} > {wom['positive_threshold']:g})"
        )
    money = out["money"]
    if money["cost_to_serve_decline_per_year"] * money["tenure_effect_years"] > 1.0:
        raise ConfigError(
            "money.cost_to_serve_decline_per_year x money.tenure_effect_years must be at most 1"
            " (the cost to serve cannot fall below 0); got "
            f"{money['cost_to_serve_decline_per_year']:g} x {money['tenure_effect_years']:g}"
        )
    scenario = out["scenario"]
    journey = out["journey"].get("name") if isinstance(out["journey"], Mapping) else None
    if scenario["journey"] not in ("any", journey):
        raise ConfigError(
            f"scenario.journey: scenario {scenario['name']} changes touchpoints of the "
            f"{scenario['journey']} journey, but this run uses the {journey} journey; "
            f"scenario.journey must be {journey} or any"
        )
    return out
