"""`cxsim --help`: every declared key documented (unit and meaning), shown with its default
and allowed values; the README's journey keys; plain percent signs in every command's help."""

import re
from pathlib import Path

import pytest

from sim.app.help import WIDTH, declared_keys, entries
from sim.config import CONFIG_DIR, load_config
from sim.config.schema import DOCS, GROUP_DOCS, PILLARS, SECTIONS, Choice, Num
from sim.errors import ConfigError
from sim.mechanisms.journey import (
    JOURNEY_KEYS,
    JOURNEY_OPTIONAL,
    TOUCHPOINT_OPTIONAL,
    TOUCHPOINT_REQUIRED,
)
from sim.mechanisms.service_centre import (
    PATIENCE_DISTRIBUTIONS,
    SERVICE_TIME_DISTRIBUTIONS,
    validate_service_centre,
)
from tests.builders import run_command

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_declared_key_has_a_unit_a_meaning_and_allowed_values():
    """A key added to sim.config.schema (or to the journey or service-centre declarations) without
    a Doc in sim.config.schema.DOCS fails here, naming the key."""
    keys = [key for key, _ in declared_keys()]
    undocumented = [k for k in keys if k not in DOCS]
    assert not undocumented, f"add a Doc(unit, meaning) to sim.config.schema.DOCS: {undocumented}"
    for entry in entries():
        assert entry.doc.unit.strip(), f"{entry.key}: no unit"
        assert entry.doc.text.strip(), f"{entry.key}: no meaning"
        assert entry.allowed(), f"{entry.key}: no rule and no Doc.allowed"
        # one line under the reference's 6-column indent
        assert len(entry.doc.text) <= WIDTH - 6, f"{entry.key}: meaning longer than a line"


def test_no_doc_for_a_key_that_is_not_declared():
    stale = sorted(set(DOCS) - {key for key, _ in declared_keys()})
    assert not stale, f"sim.config.schema.DOCS documents keys no config may have: {stale}"


def test_declared_keys_reach_inside_segments_journeys_and_the_service_centre():
    keys = {key for key, _ in declared_keys()}
    assert {
        "segments.*.share",
        "segments.*.pillar_weights.empathy",
        "journey.support",
        "journey.touchpoints.*.quality.time_effort",
        "journey.touchpoints.*.norm",
        "service_centre.staffing",
        "service_centre.patience.mean_seconds",
        "service_centre.weekend.close_hour",
    } <= keys
    assert "journey.touchpoints" not in keys  # a section, not a key


def test_every_config_group_and_section_has_words():
    groups = {p.name for p in CONFIG_DIR.iterdir() if p.is_dir() and any(p.glob("*.yaml"))}
    assert groups == set(GROUP_DOCS)
    assert {e.section for e in entries()} == set(SECTIONS)


def _probe(key: str, value) -> dict:
    """A service-centre section setting one (possibly nested) key; hours kept consistent."""
    *outer, last = key.split(".")
    section: dict = {"open_hour": 0, "close_hour": 24} if last.endswith("_hour") else {}
    node = section
    for part in outer:
        node = node.setdefault(part, {})
    node[last] = value
    return section


SC_RULES = [
    (e.key.removeprefix("service_centre.").removeprefix("weekend."), e.doc.allowed)
    for e in entries()
    if e.key.startswith("service_centre.") and isinstance(e.doc.allowed, Num | Choice)
]


@pytest.mark.parametrize(("key", "rule"), SC_RULES, ids=[k for k, _ in SC_RULES])
def test_stated_service_centre_ranges_are_what_the_centre_accepts(key, rule):
    """sim.mechanisms.service_centre checks its keys in code; the ranges --help states for them
    must be the ones it enforces (bounds accepted, just outside rejected)."""
    if isinstance(rule, Choice):
        for option in rule.options:
            validate_service_centre(_probe(key, option))
        with pytest.raises(ConfigError, match=key):
            validate_service_centre(_probe(key, "bogus"))
        return
    step = 1 if rule.integer else 1e-9
    if rule.low is not None:
        if not rule.low_open:
            validate_service_centre(_probe(key, rule.low))
        with pytest.raises(ConfigError, match=re.escape(key)):
            validate_service_centre(_probe(key, rule.low if rule.low_open else rule.low - step))
    if rule.high is not None:
        validate_service_centre(_probe(key, rule.high))
        with pytest.raises(ConfigError, match=re.escape(key)):
            validate_service_centre(_probe(key, rule.high + step))


def test_stated_distributions_are_the_centres():
    assert DOCS["service_centre.service_time.distribution"].allowed.options == (
        SERVICE_TIME_DISTRIBUTIONS
    )
    assert DOCS["service_centre.patience.distribution"].allowed.options == PATIENCE_DISTRIBUTIONS


# --- the command ---------------------------------------------------------------------------


def _row(text: str, key: str) -> tuple[str, str]:
    """The reference's line for a key and the meaning on the line below it."""
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.split()[:1] == [key])
    return lines[i], lines[i + 1]


def _keys(reference: str) -> list[str]:
    """The keys a reference lists (indented two columns; meanings are indented more)."""
    return [line.split()[0] for line in reference.splitlines()
            if line.startswith("  ") and not line.startswith("   ")]


@pytest.fixture(scope="module")
def help_text(tmp_path_factory) -> str:
    proc = run_command("cxsim", "churn.switching_cost=0.7", "--help",
                       cwd=tmp_path_factory.mktemp("help"))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize(
    ("key", "default", "unit", "allowed", "meaning"),
    [
        ("churn.switching_cost", "0.7", "log-odds", "[0, 20]", "loyalty programme"),
        ("churn.daily_hazard_at_neutral", None, "per day", "(0, 0.999]", "neutral attitude"),
        ("segments.NAME.share", "SHARES", "share 0-1", "[0, 1]", "share of the market"),
        ("journey.touchpoints.NAME.quality.empathy", None, "points (0-10)", "[0, 10]",
         "empathy pillar"),
        ("service_centre.patience.mean_seconds", None, "seconds", "> 0", "hanging up"),
        ("memory.rule", None, "option", "peak_end | mean | sum", "remembered"),
        ("journey", None, "option", "retail | subscription", "journey map"),
    ],
)
def test_help_shows_default_unit_range_and_meaning(help_text, key, default, unit, allowed,
                                                   meaning):
    line, below = _row(help_text, key)
    if default == "SHARES":  # one value per segment, in the config's order
        default = " / ".join(f"{s['share']:g}" for s in load_config()["segments"].values())
    if default is not None:  # the composed config's value, overrides included
        assert line.split()[1] == default or f"  {default}  " in line, line
    assert f"  {unit}  " in line, line
    assert line.rstrip().endswith(allowed), line
    assert meaning in below, below


def test_help_keeps_hydras_usage_and_fits_a_100_column_terminal(help_text):
    assert "Examples:" in help_text  # hydra.help.header
    assert "--cfg job" in help_text
    assert "--hydra-help" in help_text
    assert "evidence | folk" in help_text  # the config groups with their options
    too_wide = [line for line in help_text.splitlines() if len(line) > WIDTH]
    assert not too_wide, too_wide
    reference = help_text[help_text.index("== Parameters =="):help_text.index("Every key above")]
    assert len(_keys(reference)) == len(entries()) + len(GROUP_DOCS)  # every key, once


def test_help_word_shows_only_the_keys_it_picks(tmp_path):
    proc = run_command("cxsim", "journey=subscription", "--help", "churn",
                       "journey.touchpoints.billing", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    keys = _keys(proc.stdout)
    assert "churn.winback_cost" in keys
    assert "segments.NAME.churn_sensitivity" in keys
    assert "journey.touchpoints.billing.renewal" in keys
    assert all("churn" in k or k.startswith("journey.touchpoints.billing.") for k in keys), keys
    line, _ = _row(proc.stdout, "journey.touchpoints.billing.renewal")
    assert line.split()[1] == "true"  # the billing touchpoint's own value
    assert not (tmp_path / "outputs").exists(), "--help must not run the simulation"


def test_help_word_that_matches_nothing_is_a_user_error(tmp_path):
    proc = run_command("cxsim", "--help", "chrun", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"cxsim: error: --help: no key matches chrun; sections: {', '.join(SECTIONS)}"
    ]


@pytest.mark.parametrize("command", ["cxsim", "cxsim-compare", "cxsim-sensitivity",
                                     "cxsim-calibrate"])
def test_help_prints_plain_percent_signs(tmp_path, command):
    proc = run_command(command, "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "%%" not in proc.stdout


# --- README --------------------------------------------------------------------------------


def test_readme_journey_table_names_every_journey_key_and_the_support_coupling():
    text = README.read_text()
    section = text[text.index("### Journey maps"):]
    section = section[: section.index("\n## ")]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    for key in (*JOURNEY_KEYS, *JOURNEY_OPTIONAL):
        assert f"`{key}`" in table or f"`{key}." in table, key
    for key in (*TOUCHPOINT_REQUIRED, *TOUCHPOINT_OPTIONAL):
        assert f"touchpoints.NAME.{key}`" in table or f"`{key}`" in table, key
    for pillar in PILLARS:
        assert f"`{pillar}`" in table, pillar
    assert "service_centre.touchpoint" in section
    assert "`support`" in table
