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

# the most a customer may tell in a day: within sim.rng.MAX_DRAWS for the 3 draws a message
# takes (sim.mechanisms.word_of_mouth.DRAWS_PER_MESSAGE)
MAX_CONTACTS = 1000
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
    # checked by sim.mechanisms.support_calls and sim.mechanisms.service_centre
    "service_centre": Opaque(),
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
        "record_messages": Num(0, 50_000_000, integer=True),
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

    The journey section is checked by `sim.mechanisms.journey.Journey.from_config` when the
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


# --- what each key means: `cxsim --help` shows these beside the rules above -------------------


@dataclass(frozen=True)
class Doc:
    """A key's unit and its meaning in one line a strategist or a student understands.

    `allowed` states the range of a key that no rule above declares because its own module
    checks it (journey maps: sim.mechanisms.journey; the service centre:
    sim.mechanisms.support_calls and sim.mechanisms.service_centre): a rule (shown as the
    rule's range) or words.
    """

    unit: str
    text: str
    allowed: Any = None


FELT = "felt units"  # attitude: 0 neutral, +1 a clearly good memory, -1 a clearly bad one
POINTS = "points (0-10)"  # the 0-10 quality and expectation scale
SHARE = "share 0-1"
TO_PROBABILITY = "{touchpoint: probability}, summing to 1"

# Config groups (`journey=subscription`): what choosing an option picks.
GROUP_DOCS: dict[str, Doc] = {
    "journey": Doc("option", "the journey map customers walk: configs/journey/NAME.yaml"),
    "word_of_mouth": Doc(
        "option", "word-of-mouth preset: evidence (3:1 positive in volume) or folk (tell 1 vs 10)"
    ),
    "market": Doc(
        "option", "optional market preset (a subscription journey and its churn); null: none"
    ),
    "scenario": Doc(
        "option", "a what-if overlay from configs/scenario/ with its costs (baseline: no change)"
    ),
}

# Sections as `cxsim --help` groups them ("run": the top-level keys).
SECTIONS: dict[str, str] = {
    "run": "seed, replication and length of a run",
    "population": "the market on day 0 and its turnover",
    "segments": "customer segments (NAME: a segment's name; shares sum to 1)",
    "journey": "the journey map (a config group: journey=NAME)",
    "journey.touchpoints": "each touchpoint of the journey (NAME: a touchpoint's name)",
    "service_centre": "the call centre behind the support touchpoint (simpy, each day)",
    "service_centre.weekend": "the service centre on Saturdays and Sundays",
    "experience": "how a visit feels: perceived quality against expectations",
    "problems": "problems, support contacts and service recovery",
    "memory": "how episodes are remembered and fade",
    "churn": "leaving and coming back",
    "acquisition": "winning new customers: advertising and referrals",
    "network": "the social network word of mouth travels on",
    "word_of_mouth": "who talks and how far a message moves the hearer",
    "reviews": "public star reviews that prospects read",
    "money": "margin, prices, discounting and tenure economics",
    "product": "the product's features: attraction before purchase, complexity in use",
    "nps": "likelihood-to-recommend answers (true NPS)",
    "survey": "who is surveyed and who answers",
    "scenario": "the what-if scenario applied (set by scenario=NAME)",
    "output": "what a run writes",
}

# Every declared key: dotted, `*` for a user-chosen name (segments.*.share).
DOCS: dict[str, Doc] = {
    "seed": Doc("number", "root seed: every random stream is spawned from it by name"),
    "replication": Doc(
        "index", "replication number: replications of a seed get independent streams"
    ),
    "days": Doc("days", "simulated days (one step is one day)"),
    "population.customers": Doc("people", "active customers on day 0"),
    "population.prospects": Doc("people", "people in the market who are not customers yet"),
    "population.lapsed_per_customer": Doc(
        "people per customer", "ex-customers in the market on day 0 per customer (they may return)"
    ),
    "population.lapsed_exit_days": Doc(
        "days", "mean time a lapsed customer stays in reach before a newcomer takes their place"
    ),
    "population.episode_rate_sd": Doc(
        "sd of log rate", "how much people differ in how often they buy (0: all alike; CDNOW ~1.1)"
    ),
    "population.agent_handles": Doc(
        "option", "Mesa Customer handles: all, none, or auto (all up to 200,000 people)"
    ),
    "population.parallel": Doc(
        "option", "numba threads over blocks of people (auto: on from 200,000); same numbers"
    ),
    "segments.*.share": Doc(SHARE, "the segment's share of the market"),
    "segments.*.spend_multiplier": Doc("ratio", "spend relative to a touchpoint's price"),
    "segments.*.spend_sd": Doc("sd of log spend", "spread of spend within the segment"),
    "segments.*.expectation": Doc(POINTS, "the segment's baseline expectation"),
    "segments.*.expectation_sd": Doc("points (sd)", "spread of expectations within the segment"),
    "segments.*.churn_sensitivity": Doc(
        "ratio", "multiplies churn.attitude_sensitivity: below 1 the segment forgives more"
    ),
    "segments.*.price_sensitivity": Doc(
        "points per 10% of price", "quality a purchase loses per 10% of price above the reference"
    ),
    "segments.*.channel_convenience.online": Doc(
        "points", "what the online channel is worth to the segment; tilts where episodes start"
    ),
    "segments.*.channel_convenience.offline": Doc(
        "points", "what the offline channel is worth to the segment; tilts where episodes start"
    ),
    **{
        f"segments.*.pillar_weights.{p}": Doc(
            "relative weight", f"how much the {p} pillar counts in perceived quality (normalised)"
        )
        for p in PILLARS
    },
    "journey.name": Doc("name", "the journey's name (what scenario.journey refers to)", "text"),
    "journey.start": Doc(
        "probability", "where a new customer's first episode begins", TO_PROBABILITY
    ),
    "journey.repeat_start": Doc("probability", "where later episodes begin", TO_PROBABILITY),
    "journey.support": Doc(
        "touchpoint", "optional: where customers with a problem go (the service centre backs it)",
        "a touchpoint name",
    ),
    "journey.episode_interval_days": Doc("days", "mean days between a customer's episodes"),
    "journey.interval": Doc("option", "gaps between episodes: random (geometric) or fixed"),
    "journey.churn": Doc(
        "option", "anytime: customers may leave any day; at_renewal: only at a renewal touchpoint"
    ),
    "journey.touchpoints.*.channel": Doc("option", "the touchpoint's channel"),
    **{
        f"journey.touchpoints.*.quality.{p}": Doc(POINTS, f"mean quality on the {p} pillar")
        for p in PILLARS
    },
    "journey.touchpoints.*.spread": Doc("points (sd)", "how much quality varies between visits"),
    "journey.touchpoints.*.weight": Doc(
        "multiplier", "impact on memory: moments of truth weigh more"
    ),
    "journey.touchpoints.*.cost": Doc("currency per visit", "cost to serve one visit"),
    "journey.touchpoints.*.complexity": Doc(
        "units (0-10)", "effort the touchpoint demands: lowers the time-and-effort pillar"
    ),
    "journey.touchpoints.*.price": Doc(
        "currency per visit", "revenue of one visit, before the segment's spend multiplier"
    ),
    "journey.touchpoints.*.next": Doc(
        "probability", "where the customer goes next (end closes the episode)",
        "{touchpoint or end: probability}, summing to 1",
    ),
    "journey.touchpoints.*.renewal": Doc(
        "flag", "optional: the renewal (billing) touchpoint where at_renewal churn happens"
    ),
    "journey.touchpoints.*.norm": Doc(
        POINTS, "optional: what the market delivers here (null: experience.market_norm)"
    ),
    "service_centre.enabled": Doc("flag", "simulate the call centre behind the support touchpoint"),
    "service_centre.touchpoint": Doc(
        "touchpoint", "the journey touchpoint the centre backs (support by default)",
        "a touchpoint of the journey",
    ),
    "service_centre.staffing_multiplier": Doc(
        "ratio", "scales every hour's agent-hours (0.8 = cut support staff by 20%)"
    ),
    "service_centre.service_level_target": Doc(
        "share of calls", "for staffing=auto: share answered within service_level_seconds"
    ),
    "service_centre.effort_per_minute_waited": Doc(
        "points per minute", "time-and-effort quality lost per minute on hold"
    ),
    "service_centre.abandon_resolution_loss": Doc(
        "points", "resolution quality lost when a call is abandoned or never answered"
    ),
    "service_centre.unresolved_resolution_loss": Doc(
        "points", "resolution quality lost when the issue is not resolved"
    ),
    "service_centre.callback_days": Doc(
        "days", "an unresolved customer calls again this many days later"
    ),
    "service_centre.hourly": Doc("flag", "also write per-hour monitors (service_hourly table)"),
    "service_centre.weekend": Doc(
        "section", "Saturdays' and Sundays' hours, calls and staffing (null: as weekdays)",
        "null or {open_hour, close_hour, arrival_profile, staffing}",
    ),
    "service_centre.open_hour": Doc(
        "clock hour", "weekday opening hour", Num(0, 23, integer=True)
    ),
    "service_centre.close_hour": Doc(
        "clock hour", "weekday closing hour (after open_hour)", Num(1, 24, integer=True)
    ),
    "service_centre.staffing": Doc(
        "agents per hour",
        "agents per clock hour ({9: 3, 10: 4.5}: a fraction is part-time), one number, or auto",
        "auto, agents >= 0, or {hour: agents}",
    ),
    "service_centre.arrival_profile": Doc(
        "relative calls", "how the day's calls spread over the clock hours",
        "{hour: weight >= 0}, one > 0",
    ),
    "service_centre.service_time.distribution": Doc(
        "option", "distribution of talk time", Choice(("exponential", "lognormal", "fixed"))
    ),
    "service_centre.service_time.mean_seconds": Doc(
        "seconds", "mean talk time (average handling time)", Num(0.0, low_open=True)
    ),
    "service_centre.service_time.sd_seconds": Doc(
        "seconds", "sd of talk time (lognormal only)", Num(0.0, low_open=True)
    ),
    "service_centre.patience.distribution": Doc(
        "option", "how long callers wait before hanging up (none: never)",
        Choice(("exponential", "none")),
    ),
    "service_centre.patience.mean_seconds": Doc(
        "seconds", "mean time a caller waits before hanging up", Num(0.0, low_open=True)
    ),
    "service_centre.first_contact_resolution": Doc(
        "probability", "chance an answered call resolves the issue", PROB
    ),
    "service_centre.service_level_seconds": Doc(
        "seconds", "answer within this to meet the service level (80/20: 20 s)", POSITIVE
    ),
    "service_centre.agent_cost_per_hour": Doc(
        "currency per agent-hour", "loaded cost of one agent-hour", POSITIVE
    ),
    "service_centre.weekend.open_hour": Doc(
        "clock hour", "weekend opening hour", Num(0, 23, integer=True)
    ),
    "service_centre.weekend.close_hour": Doc(
        "clock hour", "weekend closing hour (after open_hour)", Num(1, 24, integer=True)
    ),
    "service_centre.weekend.arrival_profile": Doc(
        "relative calls", "how a weekend day's calls spread over its hours",
        "{hour: weight >= 0}, one > 0",
    ),
    "service_centre.weekend.staffing": Doc(
        "agents per hour", "weekend agents per clock hour, one number, or auto (Erlang C)",
        "auto, agents >= 0, or {hour: agents}",
    ),
    "experience.alpha": Doc("exponent", "prospect-theory curvature of felt gains and losses"),
    "experience.loss_aversion": Doc(
        "ratio", "a loss beyond the zone of tolerance weighs this many times an equal gain"
    ),
    "experience.performance_weight": Doc(
        "felt units per point", "felt value per quality point above performance_reference"
    ),
    "experience.performance_reference": Doc(POINTS, "quality that just meets needs"),
    "experience.market_norm": Doc(
        POINTS, "what the market typically delivers at a touchpoint (a touchpoint's norm overrides)"
    ),
    "experience.tolerance_zone": Doc(
        "points", "half-width of the zone of tolerance around the expectation"
    ),
    "experience.tolerance_slope": Doc(
        "felt units per point", "felt value per point of surprise inside the zone"
    ),
    "experience.perception_noise_sd": Doc(
        "points (sd)", "the same service feels different on different days"
    ),
    "experience.complexity_penalty": Doc(
        "points per unit", "time-and-effort quality lost per unit of touchpoint complexity"
    ),
    "experience.expectation_adaptation": Doc(
        "share per visit", "how far a touchpoint's expectation moves toward what was perceived"
    ),
    "experience.expectation_anchoring": Doc(
        "share per visit", "how far it moves back toward the customer's own standard"
    ),
    "experience.delight_threshold": Doc(FELT, "above this a moment or episode is a love point"),
    "experience.pain_threshold": Doc(FELT, "below this a moment or episode is a pain point"),
    "problems.failure_quality": Doc(POINTS, "a visit perceived below this went wrong (a problem)"),
    "problems.contact_share": Doc(
        SHARE, "share of customers with a problem who contact support; the rest suffer in silence"
    ),
    "problems.resolution_rate": Doc(
        "probability", "chance support resolves a problem when no service centre backs it"
    ),
    "problems.recovery_repair": Doc(
        SHARE, "share of a failure's pain that a resolved problem takes back"
    ),
    "problems.recovery_paradox": Doc(
        "flag", "a resolved problem also adds recovery_bonus (the recovery paradox)"
    ),
    "problems.recovery_bonus": Doc(FELT, "felt value the paradox adds to a resolved contact"),
    "memory.rule": Doc(
        "option", "how an episode is remembered: peak_end (Kahneman), or mean / sum to compare"
    ),
    "memory.episode_weight": Doc(SHARE, "share of attitude each remembered episode replaces"),
    "memory.half_life_days": Doc(
        "days", "attitude fades toward the customer's baseline with this half-life"
    ),
    "memory.initial_attitude_sd": Doc(
        "felt units (sd)", "spread of day-0 attitudes around the segment's baseline"
    ),
    "churn.daily_hazard_at_neutral": Doc(
        "per day", "chance a customer with a neutral attitude leaves on a given day"
    ),
    "churn.attitude_sensitivity": Doc(
        "log-odds per felt unit", "churn log-odds lost per unit of attitude"
    ),
    "churn.switching_cost": Doc(
        "log-odds", "churn log-odds taken off every day (a loyalty programme raises it)"
    ),
    "churn.loyalty_per_year": Doc(
        "log-odds per year per felt unit",
        "churn log-odds taken off per year of tenure, times positive attitude",
    ),
    "churn.winback_rate_per_day": Doc(
        "per day", "chance a lapsed customer comes back by themselves on a given day"
    ),
    "churn.winback_cost": Doc("currency per customer", "cost of a returning customer (an offer)"),
    "churn.initial_tenure_mean_days": Doc(
        "days", "how long the day-0 base has been customers, on average"
    ),
    "churn.onboarding_extra_log_odds": Doc(
        "log-odds", "extra churn log-odds on a new customer's first day (early tenure is riskiest)"
    ),
    "churn.onboarding_half_life_days": Doc(
        "days", "the onboarding extra halves every this many days of tenure"
    ),
    "churn.frailty_sd": Doc(
        "sd of log odds", "how much people differ in their propensity to leave (0: all alike)"
    ),
    "acquisition.ad_rate_per_day": Doc(
        "per day", "chance a prospect buys through advertising on a given day (Bass p)"
    ),
    "acquisition.cost_per_acquisition": Doc(
        "currency per customer", "cost of a customer won by advertising (CAC)"
    ),
    "acquisition.referral_rate": Doc(
        "per positive message",
        "chance one positive message heard turns a prospect into a customer (Bass q)",
    ),
    "acquisition.intent_sensitivity": Doc(
        "log per felt unit", "log change of a prospect's response to ads per unit of attitude"
    ),
    "acquisition.cost_per_referral": Doc(
        "currency per customer", "cost of a referred customer (refer-a-friend reward)"
    ),
    "network.kind": Doc("option", "the social network's shape (fully_mixed: no network)"),
    "network.mean_degree": Doc("contacts", "mean number of close contacts a person has"),
    "network.rewire_prob": Doc("share of ties", "small_world: share of ties rewired at random"),
    "network.path": Doc("file path", "edge_list: a text file of 'u v' id pairs (0-based)"),
    "network.homophily": Doc(
        SHARE, "share of customer-prospect ties rewired into same-group ties (customers cluster)"
    ),
    "word_of_mouth.name": Doc("name", "the preset's name (a label; null for none)"),
    "word_of_mouth.positive_contacts": Doc(
        "people", "people a customer tells of an episode remembered above positive_threshold (k+)"
    ),
    "word_of_mouth.negative_contacts": Doc(
        "people", "people a customer tells of an episode remembered below negative_threshold (k-)"
    ),
    "word_of_mouth.positive_threshold": Doc(FELT, "an episode remembered above this is praised"),
    "word_of_mouth.negative_threshold": Doc(
        FELT, "an episode remembered below this is complained of"
    ),
    "word_of_mouth.attitude_per_message": Doc(
        "felt units per message", "how far one message moves the hearer's attitude"
    ),
    "word_of_mouth.negative_message_weight": Doc(
        "ratio", "a complaint moves a hearer this many times as far as praise"
    ),
    "word_of_mouth.expectation_per_message": Doc(
        "points per message", "how far one message moves a prospect's expectation"
    ),
    "word_of_mouth.weak_tie_share": Doc(
        SHARE, "share of messages that go to anybody in the market, not a close contact"
    ),
    "reviews.post_share": Doc(SHARE, "share of finished episodes followed by a public review"),
    "reviews.initial_average": Doc("stars (1-5)", "the business's star average before the run"),
    "reviews.initial_count": Doc("reviews", "reviews behind that average"),
    "reviews.neutral_stars": Doc(
        "stars (1-5)", "average at which reviews neither help nor hurt sales"
    ),
    "reviews.sales_sensitivity": Doc(
        "log per star", "log change in prospects' ad-driven buying rate per star above neutral"
    ),
    "reviews.expectation_per_star": Doc(
        "points per star", "expectation a new customer brings per star above neutral"
    ),
    "money.gross_margin": Doc(SHARE, "share of revenue left after the cost of goods"),
    "money.annual_discount_rate": Doc("per year", "discount rate for present values and CLV"),
    "money.spend_satisfaction_elasticity": Doc(
        "share per felt unit", "spend rises by this share per unit of attitude"
    ),
    "money.cx_investment_per_day": Doc(
        "currency per day", "fixed daily cost of CX programmes (scenarios set it)"
    ),
    "money.spend_growth_per_year": Doc(
        "share per year", "a customer's spend grows by this share per year of tenure"
    ),
    "money.cost_to_serve_decline_per_year": Doc(
        "share per year", "the cost to serve falls by this share per year of tenure"
    ),
    "money.tenure_effect_years": Doc("years", "tenure effects on spend and cost stop after this"),
    "money.price_index": Doc("ratio", "our prices relative to the journey's list (1.1 = +10%)"),
    "money.reference_price_index": Doc(
        "ratio", "competitors' prices relative to the same list: the reference for value"
    ),
    "product.features": Doc("count", "features the product has"),
    "product.market_features": Doc("count", "features competitors' products have (the reference)"),
    "product.attraction_per_feature": Doc(
        "log rate per feature",
        "log change of prospects' buying rate per feature above the market's",
    ),
    "product.expectation_per_feature": Doc(
        "points per feature", "expectation a new customer brings per feature above the market's"
    ),
    "product.usefulness": Doc(
        "points per e-fold", "quality in use per e-fold of features relative to the market"
    ),
    "product.complexity_per_feature": Doc(
        "complexity per feature", "complexity in use per feature above the market's"
    ),
    "product.used_at": Doc("touchpoints", "touchpoints where the product is used"),
    "nps.at_neutral": Doc(POINTS, "likelihood-to-recommend answer of a neutral customer"),
    "nps.per_attitude_unit": Doc("points per felt unit", "answer points per unit of attitude"),
    "nps.individual_sd": Doc("points (sd)", "people with the same attitude answer differently"),
    "survey.invite_share": Doc(
        SHARE, "share of finished episodes followed by a survey invitation"
    ),
    "survey.response_rate_at_neutral": Doc(
        "probability", "chance an invited customer with a neutral attitude answers"
    ),
    "survey.response_slope": Doc(
        "log-odds per felt unit", "> 0: the satisfied answer more; < 0: the dissatisfied do"
    ),
    "survey.response_curvature": Doc(
        "log-odds per felt unit^2", "> 0: a U-shape, customers with strong feelings answer more"
    ),
    "scenario.name": Doc("name", "the scenario's name"),
    "scenario.description": Doc("text", "what the scenario changes, in words"),
    "scenario.journey": Doc("name", "the journey whose touchpoints it changes, or any"),
    "scenario.one_off_cost": Doc(
        "currency", "up-front cost (the daily cost is money.cx_investment_per_day)"
    ),
    "output.plots": Doc(
        "option", "draw plots: true, false, or auto (a single run draws them, sweep jobs do not)"
    ),
    "output.formats": Doc("formats", "table formats to write"),
    "output.record_messages": Doc(
        "messages", "word-of-mouth messages to keep for the network plot (0: none; 32 bytes each)"
    ),
}
