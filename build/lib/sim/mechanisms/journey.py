"""Journey maps as data: touchpoints, their qualities and the paths between them.

A journey is a directed graph of touchpoints read from `configs/journey/*.yaml`.
An episode starts at `start` (a new customer's first episode) or `repeat_start`
(later episodes), visits one touchpoint a day and follows `next` until it reaches
`end`. The map is checked in full before any simulation work: every touchpoint
must be reachable and able to reach `end`, probabilities must sum to 1, and
costs and weights cannot be negative.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx
import numpy as np

from sim.config.schema import PILLARS, Choice, Flag, Num, check_section
from sim.errors import ConfigError

END = "end"

TOUCHPOINT_REQUIRED = {
    "channel": Choice(("online", "offline")),
    "quality": {p: Num(0.0, 10.0) for p in PILLARS},
    "spread": Num(0.0, 10.0),
    "weight": Num(0.0),
    "cost": Num(0.0),
    "complexity": Num(0.0, 10.0),
    "price": Num(0.0),
    "next": None,  # checked below: it names other touchpoints
}
TOUCHPOINT_OPTIONAL = {
    "renewal": (Flag(), False),
    # what the market delivers at this kind of touchpoint (0-10): the reference of the
    # performance term and of customers' expectations; experience.market_norm when absent
    "norm": (Num(0.0, 10.0), None),
}

JOURNEY_KEYS = {
    "name": None,
    "start": None,
    "repeat_start": None,
    "episode_interval_days": Num(1.0, 3650.0),
    "interval": Choice(("random", "fixed")),
    "churn": Choice(("anytime", "at_renewal")),
    "touchpoints": None,
}
# optional journey keys: support names the touchpoint where customers with a problem go
# (sim.engine.kernels: a visit perceived below problems.failure_quality goes wrong)
JOURNEY_OPTIONAL = ("support",)


@dataclass(frozen=True)
class Journey:
    """A validated journey map as arrays indexed by touchpoint (END = len(names))."""

    name: str
    names: tuple[str, ...]
    channel: tuple[str, ...]
    quality: np.ndarray  # (touchpoints, 6 pillars), 0-10
    spread: np.ndarray
    weight: np.ndarray
    cost: np.ndarray
    complexity: np.ndarray
    price: np.ndarray
    renewal: np.ndarray  # bool
    norm: np.ndarray  # market norm per touchpoint (0-10); NaN: experience.market_norm
    transition_cum: (
        np.ndarray
    )  # (touchpoints, touchpoints + 1) cumulative probabilities; last column is end
    start_cum: np.ndarray  # (touchpoints,) cumulative
    repeat_start_cum: np.ndarray
    episode_interval_days: float
    fixed_interval: bool
    churn_at_renewal: bool
    support: int = -1  # touchpoint customers with a problem contact, or -1 (none)

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def transition(self) -> np.ndarray:
        """Transition probabilities (touchpoints, touchpoints + 1), last column = end."""
        return np.diff(self.transition_cum, prepend=0.0, axis=1)

    def visits_per_episode(self) -> np.ndarray:
        """Expected visits to each touchpoint in one repeat episode: s (I - Q)^-1.

        s is repeat_start and Q the transitions between touchpoints (an absorbing Markov
        chain whose absorbing state is end).
        """
        q = self.transition[:, : self.n]
        start = np.diff(self.repeat_start_cum, prepend=0.0)
        return start @ np.linalg.inv(np.eye(self.n) - q)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "Journey":
        if not isinstance(cfg, Mapping):
            raise ConfigError("journey must be a mapping (a journey map from configs/journey/)")
        allowed = (*JOURNEY_KEYS, *JOURNEY_OPTIONAL)
        unknown = [k for k in cfg if k not in allowed]
        if unknown:
            raise ConfigError(
                f"unknown key journey.{unknown[0]}; allowed keys: {', '.join(allowed)}"
            )
        missing = [k for k in JOURNEY_KEYS if k not in cfg]
        if missing:
            raise ConfigError(f"missing key journey.{missing[0]}")
        tps = cfg["touchpoints"]
        if not isinstance(tps, Mapping) or not tps:
            raise ConfigError(
                "journey.touchpoints must be a non-empty mapping of name -> touchpoint"
            )
        names = tuple(str(n) for n in tps)
        if END in names:
            raise ConfigError(f"journey.touchpoints: '{END}' is reserved for the end of an episode")
        index = {n: i for i, n in enumerate(names)}
        scalars = {
            k: rule.check(f"journey.{k}", cfg[k])
            for k, rule in JOURNEY_KEYS.items()
            if rule is not None
        }

        checked = [_check_touchpoint(name, tps[name]) for name in names]
        n = len(names)
        trans = np.zeros((n, n + 1))
        for i, tp in enumerate(checked):
            trans[i] = _distribution(
                f"journey.touchpoints.{names[i]}.next", tp["next"], index, allow_end=True
            )
        start = _distribution("journey.start", cfg["start"], index, allow_end=False)[:n]
        repeat = _distribution("journey.repeat_start", cfg["repeat_start"], index, allow_end=False)[
            :n
        ]
        support = cfg.get("support")
        if support is not None and support not in index:
            raise ConfigError(
                f"journey.support: {support!r} is not a touchpoint; touchpoints: {', '.join(names)}"
            )
        support_tp = -1 if support is None else index[support]
        _check_paths(names, trans, start, repeat, support_tp)
        return cls(
            name=str(cfg["name"]),
            names=names,
            channel=tuple(tp["channel"] for tp in checked),
            quality=np.array([[tp["quality"][p] for p in PILLARS] for tp in checked]),
            spread=np.array([tp["spread"] for tp in checked]),
            weight=np.array([tp["weight"] for tp in checked]),
            cost=np.array([tp["cost"] for tp in checked]),
            complexity=np.array([tp["complexity"] for tp in checked]),
            price=np.array([tp["price"] for tp in checked]),
            renewal=np.array([tp["renewal"] for tp in checked], dtype=bool),
            norm=np.array([np.nan if tp["norm"] is None else tp["norm"] for tp in checked]),
            transition_cum=_cumulative(trans),
            start_cum=_cumulative(start),
            repeat_start_cum=_cumulative(repeat),
            episode_interval_days=scalars["episode_interval_days"],
            fixed_interval=scalars["interval"] == "fixed",
            churn_at_renewal=scalars["churn"] == "at_renewal",
            support=support_tp,
        )

    def with_problems(self, contact: np.ndarray) -> "Journey":
        """The journey with problem-driven detours: from each touchpoint a share `contact`
        of visits goes to the support touchpoint instead of the mapped next step (for the
        expected visits that staffing and baselines are computed from)."""
        if self.support < 0:
            return self
        trans = self.transition
        detour = np.where(np.arange(self.n) == self.support, 0.0, contact)
        trans = trans * (1.0 - detour[:, None])
        trans[:, self.support] += detour
        return replace(self, transition_cum=_cumulative(trans))


def _check_touchpoint(name: str, tp: Any) -> dict[str, Any]:
    prefix = f"journey.touchpoints.{name}"
    if not isinstance(tp, Mapping):
        raise ConfigError(f"{prefix} must be a mapping with keys {', '.join(TOUCHPOINT_REQUIRED)}")
    allowed = list(TOUCHPOINT_REQUIRED) + list(TOUCHPOINT_OPTIONAL)
    unknown = [k for k in tp if k not in allowed]
    if unknown:
        raise ConfigError(f"unknown key {prefix}.{unknown[0]}; allowed keys: {', '.join(allowed)}")
    schema = {k: v for k, v in TOUCHPOINT_REQUIRED.items() if v is not None}
    body = {k: tp[k] for k in schema if k in tp}
    missing = [k for k in TOUCHPOINT_REQUIRED if k not in tp]
    if missing:
        raise ConfigError(f"touchpoint {name!r}: missing key {prefix}.{missing[0]}")
    try:
        out = check_section(prefix, body, schema)
    except ConfigError as err:
        raise ConfigError(f"touchpoint {name!r}: {err}") from None
    for key, (rule, default) in TOUCHPOINT_OPTIONAL.items():
        value = tp.get(key, default)
        out[key] = default if value is None else rule.check(f"{prefix}.{key}", value)
    out["next"] = tp["next"]
    return out


def _distribution(key: str, value: Any, index: Mapping[str, int], allow_end: bool) -> np.ndarray:
    """A mapping name -> probability as a vector over touchpoints (+ end)."""
    n = len(index)
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(f"{key} must be a mapping of touchpoint -> probability")
    probs = np.zeros(n + 1)
    allowed = list(index) + ([END] if allow_end else [])
    for target, p in value.items():
        if target == END and allow_end:
            j = n
        elif target in index:
            j = index[target]
        else:
            raise ConfigError(
                f"{key}: unknown touchpoint {target!r}; known touchpoints: {', '.join(allowed)}"
            )
        probs[j] = Num(0.0, 1.0).check(f"{key}.{target}", p)
    total = probs.sum()
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(f"{key}: probabilities must sum to 1; they sum to {total:g}")
    return probs


def _check_paths(
    names: tuple[str, ...], trans: np.ndarray, start: np.ndarray, repeat: np.ndarray,
    support: int = -1,
) -> None:
    """Every touchpoint reachable from a start (a problem anywhere leads to support), and
    every touchpoint able to reach end."""
    n = len(names)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n + 2))  # n = end, n + 1 = entry
    rows, cols = np.nonzero(trans > 0)
    graph.add_edges_from(zip(rows.tolist(), cols.tolist(), strict=True))
    if support >= 0:
        graph.add_edges_from((i, support) for i in range(n) if i != support)
    graph.add_edges_from((n + 1, j) for j in np.nonzero((start > 0) | (repeat > 0))[0].tolist())
    reachable = nx.descendants(graph, n + 1)
    for i, name in enumerate(names):
        if i not in reachable:
            raise ConfigError(
                f"touchpoint {name!r} is unreachable: no path from journey.start or "
                "journey.repeat_start leads to it"
            )
    trapped = set(range(n)) - nx.ancestors(graph, n)
    if trapped:
        # name the touchpoints where customers get stuck: a closed group with no exit
        sub = graph.subgraph(trapped)
        closed = nx.condensation(sub)
        stuck = min(min(closed.nodes[c]["members"]) for c in closed if closed.out_degree(c) == 0)
        others = sorted(trapped - {stuck})
        also = f" (nor from {', '.join(names[i] for i in others)})" if others else ""
        raise ConfigError(
            f"touchpoint {names[stuck]!r} is a dead end: no path from it leads to '{END}'{also}"
        )


def _cumulative(p: np.ndarray) -> np.ndarray:
    """Cumulative probabilities, exactly 1 from the last possible outcome on (no rounding gap)."""
    cum = np.cumsum(p, axis=-1)
    last = p.shape[-1] - 1 - np.argmax(p[..., ::-1] > 0, axis=-1)
    cum[np.arange(p.shape[-1]) >= np.expand_dims(last, -1)] = 1.0
    return cum
