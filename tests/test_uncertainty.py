"""Comparisons under parameter uncertainty (sim/studies/uncertainty.py,
cxsim-compare --uncertain)."""

import numpy as np
import pandas as pd
import pytest

from sim.config import load_config
from sim.errors import ConfigError
from sim.studies.compare import compare
from sim.studies.uncertainty import PRIORS, Prior, parse_priors
from tests.builders import run_command

SMALL = ["population.customers=1000", "population.prospects=500", "days=60"]


def test_degenerate_priors_give_todays_paired_comparison_exactly():
    """A prior of one value, the config's own, changes no run: same tables to the last bit."""
    value = load_config()["experience"]["loss_aversion"]
    plain = compare(["fix_journey_end"], replications=3, overrides=SMALL)
    fixed = compare(["fix_journey_end"], replications=3, overrides=SMALL,
                    priors={"experience.loss_aversion": f"fixed:{value}"})
    pd.testing.assert_frame_equal(plain.differences, fixed.differences)
    assert (fixed.runs["prior:experience.loss_aversion"] == value).all()
    assert fixed.uncertainty.probability_pays.between(0, 1).all()


def test_one_draw_per_replication_shared_by_baseline_and_scenario():
    """Each replication is one world: baseline and scenario of it have the same constants,
    different replications have different ones; the probability that the scenario pays is
    the share of worlds where its paired profit effect is positive."""
    cmp = compare(["loyalty_programme"], replications=4, overrides=SMALL,
                  priors={"experience.loss_aversion": "uniform:1:3",
                          "memory.half_life_days": "uniform:90:365"})
    runs = cmp.runs
    for key in ("prior:experience.loss_aversion", "prior:memory.half_life_days"):
        table = runs.pivot(index="replication", columns="scenario", values=key)
        assert (table.baseline == table.loyalty_programme).all()
        assert table.baseline.nunique() == 4
        assert table.baseline.between(1, 365).all()
    base = runs[runs.scenario == "baseline"].set_index("replication").profit
    scen = runs[runs.scenario == "loyalty_programme"].set_index("replication").profit
    row = cmp.uncertainty.iloc[0]
    assert row.probability_pays == np.mean((scen - base) > 0)
    assert -1 <= row["rho:experience.loss_aversion"] <= 1
    assert "hinges most on" in cmp.text()


def test_a_scenario_keeps_its_own_change_of_a_drawn_constant():
    """loyalty_programme raises churn.switching_cost; drawing the constant keeps that raise."""
    base = load_config()["churn"]["switching_cost"]
    scen = load_config(["scenario=loyalty_programme"])["churn"]["switching_cost"]
    cmp = compare(["loyalty_programme"], replications=2, overrides=SMALL,
                  priors={"churn.switching_cost": "uniform:0:0.5"})
    t = cmp.runs.pivot(index="replication", columns="scenario",
                       values="prior:churn.switching_cost")
    np.testing.assert_allclose(t.loyalty_programme - t.baseline, scen - base)


def test_documented_priors_parse_and_bad_ones_are_named():
    assert set(parse_priors(PRIORS)) == set(PRIORS)
    with pytest.raises(ConfigError, match="kind must be one of uniform"):
        Prior.parse("experience.loss_aversion", "beta:1:2")
    with pytest.raises(ConfigError, match=r"goes outside what the model allows \(\[0, 10\]\)"):
        Prior.parse("experience.loss_aversion", "uniform:1:12")
    with pytest.raises(ConfigError, match=r"unknown parameter experience\.lossaversion"):
        Prior.parse("experience.lossaversion", "uniform:1:2")


def test_cli_uncertain_prints_the_verdict(tmp_path):
    run = run_command("cxsim-compare", "scenario=[fix_journey_end]", *SMALL, "-r", "3",
                      "-j", "1", "--no-plots", "--uncertain", "-o", str(tmp_path / "out"),
                      cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Under parameter uncertainty" in run.stdout
    assert (tmp_path / "out" / "uncertainty.csv").exists()
    bad = run_command("cxsim-compare", "scenario=[fix_journey_end]", "--prior",
                      "experience.loss_aversion=uniform:3:1", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("cxsim-compare: error: prior of experience.loss_aversion")
