"""The parameter reference of `cxsim --help`: every declared key with its default, unit,
allowed values and meaning, grouped by section.

The rules come from sim.config.schema (and from sim.mechanisms.journey and the service-centre
modules for the sections they check), the units and meanings from sim.config.schema.DOCS,
the defaults from the composed config: the reference shows what a run would accept and use.
"""

import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.config.schema import (
    DOCS,
    GROUP_DOCS,
    SCHEMA,
    SECTIONS,
    Choice,
    Doc,
    Flag,
    FlagOrAuto,
    ListOfText,
    MapOf,
    Num,
    Opaque,
    OptionalText,
    SubsetOf,
    Text,
)
from sim.errors import ConfigError
from sim.mechanisms.journey import (
    JOURNEY_KEYS,
    JOURNEY_OPTIONAL,
    TOUCHPOINT_OPTIONAL,
    TOUCHPOINT_REQUIRED,
)
from sim.mechanisms.service_centre import DEFAULT_SERVICE_CENTRE
from sim.mechanisms.support_calls import LINK, WEEKEND_KEYS

WIDTH = 100  # columns of the terminal the reference is laid out for
NAME = "*"  # a user-chosen name in a declared key (segments.*.share); shown as NAME
DEFAULT_COLUMN = 18  # a longer default gets a line of its own (three segments fit)
_MISSING = object()


@dataclass(frozen=True)
class Entry:
    """One declared key: dotted (`*` for a user-chosen name), its rule and its Doc.

    `rule` is None where the key's own module checks it in code (Doc.allowed says how);
    `absent` is the value an optional key takes when a config leaves it out.
    """

    key: str
    rule: Any
    doc: Doc
    absent: Any = _MISSING

    @property
    def section(self) -> str:
        for sub in ("journey.touchpoints", "service_centre.weekend"):
            if self.key.startswith(f"{sub}."):
                return sub
        return self.key.split(".", 1)[0] if "." in self.key else "run"

    def allowed(self) -> str:
        return allowed_values(self.rule if self.rule is not None else self.doc.allowed)


def declared_keys() -> list[tuple[str, Any]]:
    """Every key a config may have, as (dotted key, rule), `*` for a user-chosen name.

    The journey map's keys are declared in sim.mechanisms.journey, the service centre's in
    sim.mechanisms.support_calls (its links to the customers) and
    sim.mechanisms.service_centre (its defaults);
    the rule is None where that module checks the key in code.
    """
    return [(key, rule) for key, rule, _ in _walk("", SCHEMA)]


UNDOCUMENTED = Doc("?", "not documented yet: add its Doc to sim.config.schema.DOCS")


def entries() -> list[Entry]:
    """The declared keys with their Docs (tests/test_help.py fails on a key without one)."""
    return [Entry(key, rule, DOCS.get(key, UNDOCUMENTED), absent)
            for key, rule, absent in _walk("", SCHEMA)]


def _walk(prefix: str, schema: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    for name, rule in schema.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(rule, Mapping):
            yield from _walk(key, rule)
        elif isinstance(rule, MapOf):
            yield from _walk(f"{key}.{NAME}", rule.schema)
        elif isinstance(rule, Opaque) and key == "journey":
            yield from _journey()
        elif isinstance(rule, Opaque) and key == "service_centre":
            yield from _service_centre()
        else:
            yield key, rule, _MISSING


def _journey() -> Iterator[tuple[str, Any, Any]]:
    """The journey map's keys as sim.mechanisms.journey declares them (a touchpoint's under
    NAME)."""
    for name, rule in JOURNEY_KEYS.items():
        if name != "touchpoints":
            yield f"journey.{name}", rule, _MISSING
    for name in JOURNEY_OPTIONAL:
        yield f"journey.{name}", None, None
    yield from _walk(f"journey.touchpoints.{NAME}", TOUCHPOINT_REQUIRED)
    for name, (rule, default) in TOUCHPOINT_OPTIONAL.items():
        yield f"journey.touchpoints.{NAME}.{name}", rule, default


def _service_centre() -> Iterator[tuple[str, Any, Any]]:
    """The links to the customers (sim.mechanisms.support_calls) and the centre's own keys with
    their defaults (sim.mechanisms.service_centre); hour tables ({hour: value}) are one key each."""
    for name, rule in LINK.items():
        yield f"service_centre.{name}", rule, _MISSING
        if name == "weekend":
            for key in WEEKEND_KEYS:
                yield f"service_centre.weekend.{key}", None, _MISSING
    yield from _defaults("service_centre", DEFAULT_SERVICE_CENTRE)


def _defaults(prefix: str, defaults: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    for name, default in defaults.items():
        key = f"{prefix}.{name}"
        if isinstance(default, Mapping) and all(isinstance(k, str) for k in default):
            yield from _defaults(key, default)
        else:
            yield key, None, default


# --- what a rule allows, in a few words ------------------------------------------------------


def allowed_values(rule: Any) -> str:
    """A rule's allowed values as the reference shows them: `[0, 1]`, `> 0`, `a | b`."""
    if rule is None or isinstance(rule, str):
        return rule or ""
    if isinstance(rule, Num):
        return _num_range(rule)
    if isinstance(rule, Choice):
        return " | ".join(rule.options)
    if isinstance(rule, Flag):
        return "true | false"
    if isinstance(rule, FlagOrAuto):
        return "true | false | auto"
    if isinstance(rule, SubsetOf):
        return f"list of {', '.join(rule.options)}"
    if isinstance(rule, OptionalText):
        return "text or null"
    if isinstance(rule, ListOfText):
        return "list of touchpoint names"
    if isinstance(rule, Text):
        return "text"
    raise TypeError(f"no wording for the rule {rule!r}")


def _num_range(rule: Num) -> str:
    kind = "integer " if rule.integer else ""
    low = None if rule.low is None else _bound(rule.low)
    high = None if rule.high is None else _bound(rule.high)
    if low is not None and high is not None:
        return f"{kind}{'(' if rule.low_open else '['}{low}, {high}]"
    if low is not None:
        return f"{kind}{'>' if rule.low_open else '>='} {low}"
    if high is not None:
        return f"{kind}<= {high}"
    return f"any {kind or 'number'}".strip()


def _bound(x: float) -> str:
    for k in (31, 63):
        if x == 2**k - 1:
            return f"2^{k}-1"
    if abs(x) >= 1e6 and math.log10(abs(x)).is_integer():
        return f"{'-' if x < 0 else ''}10^{round(math.log10(abs(x)))}"
    return f"{x:g}"


# --- defaults from the composed config --------------------------------------------------------


def _show(value: Any) -> str:
    """A config value as one writes it on the command line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _values(cfg: Mapping[str, Any], entry: Entry, bound: Mapping[int, str]) -> list[Any]:
    """The key's values in the config: one for each name `*` stands for (or the bound one)."""
    parts = entry.key.split(".")
    nodes: list[Any] = [cfg]
    for i, part in enumerate(parts):
        found: list[Any] = []
        for node in nodes:
            if not isinstance(node, Mapping):
                continue
            if part == NAME:
                names = [bound[i]] if i in bound else list(node)
                found.extend(node[n] for n in names if n in node)
            elif part in node:
                found.append(node[part])
            elif i == len(parts) - 1 and entry.absent is not _MISSING:
                found.append(entry.absent)
        nodes = found
    return nodes


def _default(values: Sequence[Any]) -> str:
    """One value as it is; several (one per segment or touchpoint) in order, or their range."""
    if not values:
        return "-"
    shown = [_show(v) for v in values]
    if len(set(shown)) == 1:
        return shown[0]
    joined = " / ".join(shown)
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if len(joined) <= DEFAULT_COLUMN or not numbers:
        return joined if len(joined) <= DEFAULT_COLUMN else "varies"
    return f"{_show(min(values))} to {_show(max(values))}"


# --- the reference ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    default: str
    unit: str
    allowed: str
    text: str


def _match(key: str, query: str) -> dict[int, str] | None:
    """The names `*` takes when the key starts with the query (`churn`, `segments.mainstream`,
    `journey.touchpoints.support.quality`; the query's last word may be cut short), or {}
    when the query is a piece of the key (`quality`); None when neither."""
    parts, words = key.split("."), query.split(".")
    if len(words) <= len(parts):
        bound: dict[int, str] = {}
        for i, (part, word) in enumerate(zip(parts, words, strict=False)):
            if part == NAME:
                bound[i] = word
            elif part != word and not (i == len(words) - 1 and part.startswith(word)):
                break
        else:
            return bound
    return {} if query in key.replace(NAME, "NAME") else None


def _rows(
    cfg: Mapping[str, Any], queries: Sequence[str]
) -> tuple[dict[str, list[Row]], dict[str, list[str]]]:
    """Rows by section for the keys the queries pick (all without queries), and the names
    NAME stands for in each section."""
    sections: dict[str, list[Row]] = {}
    names: dict[str, list[str]] = {}
    for entry in entries():
        picks = [_match(entry.key, q) for q in queries] or [{}]
        bound = next((b for b in picks if b is not None), None)
        if bound is None:
            continue
        values = _values(cfg, entry, bound)
        if bound and not values:  # a name the config does not have
            continue
        key = entry.key.split(".")
        shown = ".".join(bound.get(i, "NAME" if p == NAME else p) for i, p in enumerate(key))
        sections.setdefault(entry.section, []).append(
            Row(shown, _default(values), entry.doc.unit, entry.allowed(), entry.doc.text)
        )
        if NAME in key and not bound:
            parent = _values(cfg, Entry(".".join(key[: key.index(NAME)]), None, entry.doc), {})
            names[entry.section] = [str(n) for n in parent[0]] if parent else []
    return sections, names


def _group_rows(
    choices: Mapping[str, Any], options: Mapping[str, Sequence[str]], queries: Sequence[str]
) -> list[Row]:
    return [
        Row(group, _show(choices.get(group)), doc.unit, " | ".join(options.get(group, ())),
            doc.text)
        for group, doc in GROUP_DOCS.items()
        if not queries or any(q in group for q in queries)
    ]


def _layout(title: str, rows: Sequence[Row], names: Sequence[str] = ()) -> list[str]:
    """A section: one line of key, default, unit and allowed values a row, then its meaning."""
    defaults = [r.default if len(r.default) <= DEFAULT_COLUMN else "(below)" for r in rows]
    key_w = max(len(r.key) for r in rows)
    default_w = max(len(d) for d in defaults)
    unit_w = max(len(r.unit) for r in rows)
    lines = [f"-- {title} --"]
    if names:
        lines += textwrap.wrap(f"NAME: {', '.join(names)}", WIDTH, initial_indent=" " * 3,
                               subsequent_indent=" " * 9)
    for r, default in zip(rows, defaults, strict=True):
        head = f"  {r.key:<{key_w}}  {default:<{default_w}}  {r.unit:<{unit_w}}  {r.allowed}"
        extra = []
        if len(head) > WIDTH:  # the allowed values go below
            head = head[: len(head) - len(r.allowed)].rstrip()
            extra.append(f"allowed: {r.allowed}")
        if default != r.default:
            extra.append(f"default: {r.default}")
        lines.append(head.rstrip())
        for text in (r.text, *extra):
            lines += textwrap.wrap(text, WIDTH, initial_indent=" " * 6,
                                   subsequent_indent=" " * 8, break_on_hyphens=False)
    return lines


LEGEND = (
    "Each key: its default in this config, unit and allowed values; below, what it means.\n"
    "NAME stands for a segment's or a touchpoint's name; where they differ, the defaults are\n"
    "listed in the order of the names, or given as lowest to highest. Set a key with key=value.\n"
    "`cxsim --help WORD` shows only the keys starting with or containing WORD (cxsim --help\n"
    "churn); `cxsim --help journey.touchpoints.support` shows that touchpoint's own values."
)


def reference(
    cfg: Mapping[str, Any],
    choices: Mapping[str, Any],
    options: Mapping[str, Sequence[str]],
    queries: Sequence[str] = (),
) -> str:
    """The parameter reference: config groups first, then every declared key by section.

    cfg is the composed config (without Hydra's section), choices the option each config
    group took, options each group's options; queries keep only the keys they pick.
    """
    sections, names = _rows(cfg, queries)
    groups = _group_rows(choices, options, queries)
    if not sections and not groups:
        raise ConfigError(
            f"--help: no key matches {' '.join(queries)}; sections: {', '.join(SECTIONS)}"
        )
    blocks = [] if queries else [LEGEND]
    if groups:
        blocks.append("\n".join(_layout("config groups: pick one option each (group=option)",
                                        groups)))
    for section, rows in sections.items():
        title = f"{section}: {SECTIONS.get(section, '')}"
        blocks.append("\n".join(_layout(title, rows, names.get(section, ()))))
    return "\n\n".join(blocks) + "\n"


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node


def for_config(cfg: DictConfig, queries: Sequence[str] = ()) -> str:
    """The reference for a config Hydra composed with its own section (`hydra.runtime.choices`
    gives the options taken); called while Hydra is initialised, to list the groups' options."""
    from hydra.core.global_hydra import GlobalHydra

    plain = {k: _plain(cfg[k]) for k in cfg if k != "hydra"}  # not the help template itself
    choices = _plain(cfg.hydra.runtime.choices)
    hydra = GlobalHydra.instance()
    loader = hydra.config_loader() if hydra.is_initialized() else None
    # a config on hydra.searchpath is not among the loader's options: add the one taken
    options = {g: sorted({*(loader.get_group_options(g) if loader else ()),
                          *([choices[g]] if choices.get(g) else [])}) for g in GROUP_DOCS}
    return reference(plain, choices, options, queries)


def hydra_help_parameters(root: DictConfig) -> str:
    """`${cxsim_parameters:}` in hydra.help.template, for the config Hydra composed for
    --help (`$` doubled: Hydra reads the template as a string.Template)."""
    return for_config(root).replace("$", "$$")


def _parameters(*, _root_: DictConfig) -> str:
    """`${cxsim_parameters:}` in hydra.help.template: `cxsim --help`'s parameter reference."""
    return hydra_help_parameters(_root_)


if not OmegaConf.has_resolver("cxsim_parameters"):  # registered wherever cxsim's help is read
    OmegaConf.register_new_resolver("cxsim_parameters", _parameters)
