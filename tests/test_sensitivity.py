"""Global sensitivity analysis: the pipeline reproduces known indices, and the model's
inert parameters get none."""

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from sim.app.sensitivity import main
from sim.errors import ConfigError
from sim.studies.sensitivity import Problem, analyse, sensitivity
from tests.builders import run_command

ISHIGAMI = Problem(("x1", "x2", "x3"), ((-np.pi, np.pi),) * 3)
# analytical indices of f = sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1 (Ishigami & Homma 1990)
S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


def test_sobol_indices_of_ishigami_match_the_analytical_values(tmp_path):
    """N=1024 base points (5,120 runs): SALib's bootstrap half-width is ~0.03-0.06 at this N,
    so each index must be within 0.07 of its analytical value."""
    s = analyse(ISHIGAMI, Ishigami.evaluate, "sobol", n=1024, seed=1, folder=tmp_path)
    table = s.indices.set_index(["parameter", "index"]).value
    for name in ISHIGAMI.names:
        assert table[(name, "S1")] == pytest.approx(S1[name], abs=0.07)
        assert table[(name, "ST")] == pytest.approx(ST[name], abs=0.07)
    assert (tmp_path / "analysis.json").exists()


def test_sobol_intervals_are_reproducible_with_seed_0():
    """SALib ignores a seed of 0 and bootstraps from numpy's global state, which the first
    analysis would have moved on; ours gives the same intervals every time."""
    first = analyse(ISHIGAMI, Ishigami.evaluate, "sobol", n=64, seed=0).indices
    again = analyse(ISHIGAMI, Ishigami.evaluate, "sobol", n=64, seed=0).indices
    pd.testing.assert_frame_equal(first, again)


def test_morris_ranks_ishigami_inputs(tmp_path):
    """mu* orders the inputs by influence: x1 and x2 matter more than x3 on average."""
    s = analyse(ISHIGAMI, Ishigami.evaluate, "morris", n=50, seed=2)
    mu = s.indices[s.indices["index"] == "mu_star"].set_index("parameter").value
    assert mu["x3"] < mu["x1"]
    assert mu["x3"] < mu["x2"]


def test_an_analysis_resumes_from_its_folder(tmp_path):
    """Chunks saved as they finish: a rerun evaluates only what was missing."""
    calls = []

    def counted(x, stop_at=None):
        calls.append(len(x))
        if len(calls) == stop_at:
            raise RuntimeError("stopped")
        return Ishigami.evaluate(x)

    with pytest.raises(RuntimeError):
        analyse(ISHIGAMI, lambda x: counted(x, 3), "sobol", n=32, folder=tmp_path, chunk=40)
    done = sum(calls[:2])
    calls.clear()
    again = analyse(ISHIGAMI, counted, "sobol", n=32, folder=tmp_path, chunk=40)
    fresh = analyse(ISHIGAMI, Ishigami.evaluate, "sobol", n=32)
    assert len(again.runs) == 32 * 5
    assert sum(calls) == 32 * 5 - done  # only the missing runs ran
    np.testing.assert_array_equal(again.indices.value, fresh.indices.value)
    with pytest.raises(ConfigError, match="holds a different analysis"):
        analyse(ISHIGAMI, Ishigami.evaluate, "sobol", n=64, folder=tmp_path)


def test_an_inert_parameter_gets_no_total_index(tmp_path):
    """Retention cannot depend on the CX budget (a cost, booked in profit only): with common
    random numbers its runs are identical, so its total index is 0 up to rounding; loss
    aversion carries the variance."""
    s = sensitivity(
        {"experience.loss_aversion": (1.0, 3.0), "money.cx_investment_per_day": (0.0, 500.0)},
        kpi="retention", method="sobol", n=8,
        overrides=["population.customers=600", "population.prospects=300", "days=60"],
        folder=tmp_path,
    )
    st = s.indices[s.indices["index"] == "ST"].set_index("parameter").value
    assert abs(st["money.cx_investment_per_day"]) < 1e-9
    assert st["experience.loss_aversion"] > 0.5
    assert (tmp_path / "plots" / "sensitivity.png").exists()
    assert set(s.indices.columns) == {"parameter", "index", "value", "ci_low", "ci_high"}


def test_bad_parameters_are_refused_before_any_run():
    with pytest.raises(ConfigError, match=r"goes outside what the model allows \(\[0, 10\]\)"):
        Problem.of({"experience.loss_aversion": (1.0, 12.0), "churn.switching_cost": None})
    with pytest.raises(ConfigError, match="has no default range"):
        Problem.of(["churn.switching_cost", "experience.alpha"])
    with pytest.raises(ConfigError, match=r"unknown parameter experience\.nope"):
        Problem.of(["experience.nope=0:1", "experience.alpha"])
    with pytest.raises(ConfigError, match="kpi must be one of"):
        sensitivity(kpi="happiness")


def test_cli_names_the_bad_key_in_one_line(tmp_path):
    run = run_command("cxsim-sensitivity", "-p", "experience.loss_aversion=1:20", "-p",
                      "experience.alpha", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "cxsim-sensitivity: error: parameter experience.loss_aversion: range 1:20 goes "
        "outside what the model allows ([0, 10])"
    )


def test_cli_morris_writes_table_and_plot(tmp_path):
    run = run_command("cxsim-sensitivity", "-n", "2", "-j", "1", "-o", str(tmp_path / "s"),
                      "-p", "experience.loss_aversion", "-p", "churn.attitude_sensitivity",
                      "population.customers=300", "population.prospects=100", "days=30",
                      cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "mu_star" in run.stdout
    for name in ("indices.csv", "runs.csv", "plots/sensitivity.png"):
        assert (tmp_path / "s" / name).exists(), name


def test_cli_on_a_launcher_gives_the_in_process_indices(tmp_path):
    """The sample as one multirun on the joblib launcher: the same indices and intervals; the
    chunks are kept in the folder's batch/."""
    params = ["experience.loss_aversion", "churn.attitude_sensitivity"]
    base = ["population.customers=300", "population.prospects=100", "days=30"]
    run = run_command("cxsim-sensitivity", "--method", "sobol", "-n", "2",
                      "-o", str(tmp_path / "s"), "--launcher", "joblib", "hydra.launcher.n_jobs=2",
                      *(a for p in params for a in ("-p", p)), *base, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(tmp_path / "s" / "indices.csv")
    here = sensitivity(params, method="sobol", n=2, overrides=base).indices
    pd.testing.assert_frame_equal(table, here, check_exact=False, rtol=1e-12)  # csv's digits
    assert len(list((tmp_path / "s" / "batch" / "done").glob("chunk-*.parquet"))) == 8


def test_cli_refuses_a_bad_launcher_in_one_line(capsys):
    with pytest.raises(SystemExit) as bad:
        main(["--launcher", "slurm", "days=30"])
    assert bad.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "cxsim-sensitivity: error: launcher must be one of basic, joblib, ray, "
        "submitit_local, submitit_slurm; got 'slurm'"
    )
    with pytest.raises(SystemExit) as stray:
        main(["hydra.launcher.n_jobs=2", "days=30"])
    assert stray.value.code == 2
    assert "hydra.* settings are for a launcher; name one with --launcher" in (
        capsys.readouterr().err)
