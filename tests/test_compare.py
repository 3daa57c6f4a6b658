"""What-if scenarios and paired comparisons (sim/studies/scenarios.py, sim/studies/compare.py,
cxsim-compare)."""

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import sim.studies.compare
from sim.analysis.kpis import KPIS
from sim.config import load_config
from sim.errors import ConfigError
from sim.simulation import Simulation
from sim.studies.compare import Comparison, compare, mean_interval, welch_interval
from sim.studies.scenarios import SCENARIO_DIR, Scenario, available_scenarios, check_config
from tests.builders import run_command

SMALL = ["population.customers=2000", "population.prospects=1000", "days=120"]
REQUIRED = (
    "baseline",
    "better_onboarding",
    "cut_support_staff",
    "loyalty_programme",
    "personalisation_high_value",
    "fix_journey_end",
    "more_advertising",
    "added_feature_complexity",
    "word_of_mouth_folk",
    "word_of_mouth_evidence",
)


def test_the_issue_scenarios_ship():
    assert set(REQUIRED) <= set(available_scenarios())


@pytest.mark.parametrize("name", available_scenarios())
def test_every_scenario_states_its_cost_changes_something_and_runs(name):
    """Each overlay composes, passes every check, costs something stated, and runs."""
    overlay = yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text())
    changed = [k for k in overlay if k not in ("scenario", "defaults")]
    assert name == "baseline" or changed, f"scenario {name} changes nothing but its name"
    journey = overlay["scenario"]["journey"]
    overrides = [f"scenario={name}", "population.customers=300", "population.prospects=300"]
    if journey != "any":
        overrides.append(f"journey={journey}")
    cfg = check_config(load_config([*overrides, "days=20"]))
    assert cfg["scenario"]["name"] == name
    assert cfg["scenario"]["description"]
    assert cfg["scenario"]["one_off_cost"] >= 0
    assert cfg["money"]["cx_investment_per_day"] >= 0
    result = Simulation(cfg).run()
    assert result.summary["days"] == 20


def test_a_scenario_for_another_journey_is_rejected_naming_the_key():
    cfg = load_config(["scenario=fix_journey_end", "journey=subscription"])
    with pytest.raises(
        ConfigError,
        match=r"scenario.journey: scenario fix_journey_end changes touchpoints of the retail "
        r"journey, but this run uses the subscription journey; scenario.journey must be "
        r"subscription or any",
    ):
        check_config(cfg)


@pytest.fixture(scope="module")
def loyalty() -> tuple[Comparison, Comparison]:
    """The loyalty programme against the baseline, 8 runs each: paired, then independent."""
    paired = compare(["loyalty_programme"], replications=8, overrides=SMALL)
    independent = compare(["loyalty_programme"], replications=8, overrides=SMALL, paired=False)
    return paired, independent


def test_a_scenario_that_changes_nothing_differs_by_exactly_zero():
    """Same random numbers and same config: every run is the same, to the last bit.

    word_of_mouth_evidence restates the default word-of-mouth rule; the ad-hoc scenario
    restates a default value. Under common random numbers each difference is exactly 0.0.
    """
    cmp = compare(
        ["word_of_mouth_evidence", Scenario("restated", ("churn.switching_cost=0.0",))],
        replications=3,
        overrides=SMALL,
    )
    diffs = cmp.differences[cmp.differences.kpi != "roi"]
    assert len(diffs) == 2 * len(KPIS)
    assert (diffs[["difference", "ci_low", "ci_high"]].to_numpy() == 0.0).all()
    assert (cmp.over_time[["difference", "ci_low", "ci_high"]].to_numpy() == 0.0).all()
    assert cmp.text().count("**It changes nothing**") == 2


def test_common_random_numbers_shrink_the_interval_of_a_difference(loyalty):
    """Paired runs share their random numbers, so most run-to-run noise cancels out.

    The half-width of a difference's interval is t x sd(difference) / sqrt(R). With
    independent seeds sd(difference)^2 = sd(a)^2 + sd(b)^2; paired, it loses 2 cov(a, b),
    and here the pairs correlate strongly (checked below, > 0.9 for revenue). Measured
    width ratios are 0.07-0.27; with R = 8 a ratio of sample sds can be off by a factor
    of ~2.2 (95%, F(7, 7)), so asserting < 0.5 fails only if CRN stopped working.
    """
    paired, independent = loyalty
    for kpi in KPIS:
        d, low, high = paired.difference("loyalty_programme", kpi)
        assert low <= d <= high
        if kpi == "clv":
            # m / (r + c) at the programme's low churn has ~1.8x the baseline's sd, so pairing
            # can cancel only the shared part (ratio ~0.47 expected): checked by correlation
            continue
        _, ilow, ihigh = independent.difference("loyalty_programme", kpi)
        assert high - low < 0.5 * (ihigh - ilow), kpi
    for kpi in ("revenue", "clv"):
        runs = paired.runs.pivot_table(index="replication", columns="scenario", values=kpi)
        assert runs.corr().loc["baseline", "loyalty_programme"] > 0.85, kpi


def test_independent_runs_use_other_random_streams(loyalty):
    _, independent = loyalty
    reps = independent.runs.groupby("scenario").replication.apply(set)
    assert reps["baseline"] == set(range(8))
    assert reps["loyalty_programme"] == set(range(8, 16))


def test_the_loyalty_programme_keeps_customers_at_its_stated_cost(loyalty):
    """Its switching cost lowers churn: retention rises clearly; profit pays its cost.

    The ROI is the profit difference (already net of the scenario's costs) over the extra
    cost, 200 a day x 120 days + 30,000 up front, exactly.
    """
    paired, _ = loyalty
    _d, low, _ = paired.difference("loyalty_programme", "retention")
    assert low > 0
    profit = paired.difference("loyalty_programme", "profit")
    roi = paired.difference("loyalty_programme", "roi")
    extra_cost = 200.0 * 120 + 30_000.0
    assert roi == pytest.approx(tuple(x / extra_cost for x in profit), rel=1e-12)
    runs = paired.runs.set_index(["scenario", "replication"])
    assert (runs.loc["loyalty_programme", "scenario_cost"] == extra_cost).all()
    assert (runs.loc["baseline", "scenario_cost"] == 0.0).all()


def test_intervals_are_students_and_welchs():
    d = np.array([1.0, 2.0, 3.0, 4.0])
    mean, low, high = mean_interval(d)
    half = 3.182446305284263 * np.std(d, ddof=1) / 2  # t(0.975, 3) x sd / sqrt(4)
    assert (mean, low, high) == pytest.approx((2.5, 2.5 - half, 2.5 + half))
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 4.0, 6.0])
    diff, wlow, whigh = welch_interval(a, b)
    assert diff == pytest.approx(-1.0)
    assert (wlow + whigh) / 2 == pytest.approx(diff)


def test_the_runs_do_not_depend_on_the_number_of_workers():
    one = compare(["more_advertising"], replications=2, overrides=SMALL, jobs=1)
    two = compare(["more_advertising"], replications=2, overrides=SMALL, jobs=2)
    pd.testing.assert_frame_equal(one.runs, two.runs)
    pd.testing.assert_frame_equal(one.differences, two.differences)


@pytest.fixture
def no_runs(monkeypatch):
    """Fail the test if a comparison starts simulating."""

    def refuse(*args, **kwargs):
        raise AssertionError("a run started before the input was checked")

    monkeypatch.setattr(sim.studies.compare, "_run_all", refuse)


@pytest.mark.usefixtures("no_runs")
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scenarios": ["nope"]}, r"unknown scenario 'nope'; scenarios: added_feature_complexity"),
        ({"scenarios": []}, r"scenario: name at least one scenario"),
        ({"scenarios": ["loyalty_programme"], "replications": 1}, r"replications must be an"),
        (
            {"scenarios": ["loyalty_programme", "loyalty_programme"]},
            r"each scenario may appear once",
        ),
        (
            {"scenarios": ["loyalty_programme"], "overrides": ["replication=3"]},
            r"replication is set by the comparison",
        ),
        (
            {"scenarios": ["loyalty_programme"], "overrides": ["churn.hazard=1"]},
            r"unknown key churn.hazard .* allowed keys at churn: daily_hazard_at_neutral",
        ),
        (
            {"scenarios": ["loyalty_programme"], "overrides": ["churn.switching_cost=-1"]},
            r"churn.switching_cost must be in \[0, 20\]; got -1",
        ),
        ({"scenarios": ["better_onboarding"]}, r"scenario.journey: scenario better_onboarding"),
    ],
)
def test_bad_input_stops_the_comparison_before_any_run(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        compare(**kwargs)


def cxsim_compare(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run_command("cxsim-compare", *args, cwd=cwd)


def test_cxsim_compare_writes_tables_plots_and_a_summary(tmp_path):
    out = tmp_path / "cmp"
    proc = cxsim_compare(
        "scenario=[loyalty_programme,fix_journey_end]",
        "-r",
        "3",
        "-j",
        "1",
        "-o",
        str(out),
        *SMALL,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    for words in ("## Loyalty programme", "## Fix journey end", "ROI", f"results: {out}"):
        assert words in proc.stdout
    assert (out / "summary.md").read_text() in proc.stdout
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 9
    assert set(runs.scenario) == {"baseline", "loyalty_programme", "fix_journey_end"}
    differences = pd.read_csv(out / "differences.csv")
    assert set(differences.kpi) == {*KPIS, "roi"}
    assert set(pd.read_parquet(out / "over_time.parquet").series) == set(sim.studies.compare.SERIES)
    for name in ("comparison", "comparison_over_time"):
        assert (out / "plots" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_cxsim_compare_rejects_an_unknown_scenario(tmp_path):
    proc = cxsim_compare("scenario=[nope]", *SMALL, cwd=tmp_path)
    assert proc.returncode == 2
    assert "cxsim-compare: error: unknown scenario 'nope'; scenarios: added_feature_complexity" in (
        proc.stderr
    )
    assert not (tmp_path / "compare").exists()


def test_compare_help_prints_a_plain_percent(tmp_path):
    out = run_command("cxsim-compare", "--help", cwd=tmp_path)
    assert out.returncode == 0
    assert "95% intervals" in out.stdout
    assert "%%" not in out.stdout


SMALL_RUN = ["days=15", "population.customers=600", "population.prospects=300"]


def test_what_ifs_from_the_cli_a_scenario_dir_and_cost_not_stated(tmp_path):
    """A scenario file from --scenario-dir, an inline what-if with its costs, one without."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "cheaper_support.yaml").write_text(
        "# @package _global_\nscenario:\n  name: cheaper_support\n  description: fewer agents\n"
        "  journey: any\n  one_off_cost: 1000.0\nmoney:\n  cx_investment_per_day: 5.0\n"
        "service_centre:\n  staffing_multiplier: 0.9\n")
    out = run_command(
        "cxsim-compare", "--scenario-dir", str(folder), "scenario=[cheaper_support]",
        "--what-if", "steady: journey.touchpoints.delivery.spread=0.5",
        "--what-if", "calm: journey.touchpoints.support.quality.empathy=9",
        "--cost-per-day", "10", "--one-off", "100", "-r", "2", "-j", "1", "--no-plots",
        "-o", str(tmp_path / "out"), *SMALL_RUN, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "out" / "summary.md").read_text()
    steady = text.split("## Steady")[1].split("## Calm")[0]
    assert "Cost not stated" in steady
    assert "ROI" not in steady.replace("no ROI", "")
    calm = text.split("## Calm")[1]
    assert "Cost: 10 a day and 100 up front" in calm
    assert "Cost: 5 a day and 1,000 up front" in text.split("## Cheaper support")[1]


def test_a_scenario_on_hydras_search_path_is_found(tmp_path):
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "quiet.yaml").write_text(
        "# @package _global_\nscenario:\n  name: quiet\n  description: nobody talks\n"
        "  journey: any\n  one_off_cost: 0.0\nword_of_mouth:\n  positive_contacts: 0\n")
    cmp = compare(["quiet"], replications=2, overrides=[*SMALL_RUN,
                  f"hydra.searchpath=[file://{tmp_path}]"])
    assert cmp.scenarios == ["quiet"]


@pytest.mark.parametrize(("args", "message"), [
    (["journey.touchpoints.websit.cost=1"],
     r"unknown key journey.touchpoints.websit.cost .* allowed keys at journey.touchpoints: "
     r"awareness, website"),
    (["--what-if", "x: journey.touchpoints.suport.cost=1"],
     r"unknown key journey.touchpoints.suport.cost .* allowed keys at journey.touchpoints"),
    (["--what-if", "no colon here"], r"--what-if must be 'name: key=value"),
    (["--scenario-dir", "/no/such/folder"], r"--scenario-dir /no/such/folder: no such folder"),
])
def test_compare_cli_errors_are_cxsims_own(tmp_path, args, message):
    import re

    out = run_command("cxsim-compare", "scenario=[loyalty_programme]", *args, "-r", "2",
                      *SMALL_RUN, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("cxsim-compare: error: ")
    assert re.search(message, out.stderr), out.stderr
    assert "Traceback" not in out.stderr


def test_cost_flags_need_a_what_if(tmp_path):
    out = run_command("cxsim-compare", "--cost-per-day", "5", cwd=tmp_path)
    assert out.returncode == 2
    assert "--cost-per-day states the cost of a --what-if" in out.stderr


def test_report_html_is_one_self_contained_page_with_provenance(tmp_path):
    cmp = compare(["loyalty_programme"], replications=2, overrides=SMALL_RUN)
    cmp.save(tmp_path / "out", plots=False)
    page = (tmp_path / "out" / "report.html").read_text()
    assert "http://" not in page
    assert "https://" not in page
    assert "data:image/png;base64," in page  # the cumulative-profit plot, inline
    for text in ("The baseline", "% of the customers at the start", "95% interval",
                 "What the intervals cover",
                 "Provenance", "source digest", "population.customers=600", "replications"):
        assert text in page, text
    assert "break even" in page or "Break-even" in page
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "## Provenance" in summary
    assert "source digest" in summary
    assert cmp.provenance["seed"] == 42
    assert cmp.provenance["replications"] == [0, 1]
