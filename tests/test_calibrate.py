"""Calibration: it recovers parameters the data were made with, and its overlay runs in cxsim."""

import json

import pandas as pd
import pytest

from sim.errors import ConfigError
from sim.simulation import Simulation
from sim.studies.batch import Batch
from sim.studies.calibrate import _DAILY_COLUMNS, Observed, calibrate, check_data
from tests.builders import run_command

BASE = ["population.customers=3000", "population.prospects=0", "days=150"]
# two parameters the data identify separately: the NPS answer of a neutral customer moves
# NPS and not survival; the churn hazard moves survival (and NPS only through who stays).
# (Loss aversion acts only beyond the zone of tolerance, too weakly for 3,000 people's NPS
# to pin it down, and the performance weight trades off against the hazard in survival.)
TRUTH = {"nps.at_neutral": 7.5, "churn.daily_hazard_at_neutral": 0.0008}
RANGES = {"nps.at_neutral": (6.0, 9.0), "churn.daily_hazard_at_neutral": (0.0002, 0.002)}


def synthetic_data(replications) -> pd.DataFrame:
    """Survival and NPS every 20 days, made by the model itself with TRUTH."""
    data = pd.DataFrame(
        [{"measure": m, "day": d, "value": 0.0} for m in ("survival", "nps")
         for d in range(20, 150, 20)]
    )
    table = Batch(BASE).run([TRUTH], replications=replications, measure=Observed(data))
    data["value"] = table[[f"obs_{i}" for i in range(len(data))]].mean().to_numpy()
    return data


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calibrate")
    data = synthetic_data([100, 101])  # other replications than the fit's: noise differs
    return data, folder, calibrate(data, RANGES, BASE, trials=30, replications=2, folder=folder)


def test_calibration_recovers_known_parameters(fitted):
    """Within 15% of each range: survival of 3,000 people has a standard error of ~0.008 per
    point and NPS ~1 point, which moves the best fit by a few percent of the range; 30 TPE
    trials in 2 dimensions find the basin (measured: within 8%)."""
    _, _, fit = fitted
    for key, (low, high) in RANGES.items():
        assert fit.best[key] == pytest.approx(TRUTH[key], abs=0.15 * (high - low)), key
    assert fit.loss < 0.01
    assert len(fit.trials) == 30


def test_the_overlay_reproduces_the_fitted_kpi_in_cxsim(fitted, tmp_path):
    """calibrated.yaml, run by cxsim, is the calibrated model: replication 0's survival at
    the last observed day is what the calibration simulated for it."""
    data, folder, fit = fitted
    run = run_command("cxsim", "--config-dir", str(folder), "--config-name", "calibrated",
                      f"hydra.run.dir={tmp_path}", "output.plots=false", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["config"]["nps"]["at_neutral"] == fit.best["nps.at_neutral"]
    cohorts = pd.read_parquet(tmp_path / "cohorts.parquet")
    base = cohorts[cohorts.cohort == 0].set_index("age_days").retention
    rep0 = Batch(BASE).run([fit.best], replications=[0], measure=Observed(data))
    last = len(data) // 2 - 1  # the last survival observation
    assert base[data.day[last]] == rep0[f"obs_{last}"].iloc[0]
    for name in ("trials.csv", "fit.csv", "plots/fit.png", "study.db"):
        assert (folder / name).exists(), name


def test_a_study_resumes_from_its_folder(fitted):
    """The same call again finds 30 finished trials and runs none; asking for 33 runs 3
    (here asked of the sampler 2 at a time and run as one batch)."""
    data, folder, fit = fitted
    again = calibrate(data, RANGES, BASE, trials=30, replications=2, folder=folder)
    assert again.best == fit.best
    more = calibrate(data, RANGES, BASE, trials=33, replications=2, folder=folder,
                     parallel_trials=2, jobs=2)
    assert len(more.trials) == 33
    assert (more.trials.state == "COMPLETE").all()
    with pytest.raises(ConfigError, match="holds a different calibration"):
        calibrate(data, RANGES, BASE, trials=30, replications=3, folder=folder)


def test_bad_data_and_parameters_stop_with_one_line(tmp_path):
    good = pd.DataFrame({"measure": ["survival"], "day": [10], "value": [0.9]})
    with pytest.raises(ConfigError, match="missing column value"):
        check_data(good.drop(columns="value"), 30)
    with pytest.raises(ConfigError, match=r"day must be a whole day in \[0, 29\]"):
        check_data(good.assign(day=30), 30)
    with pytest.raises(ConfigError, match="unknown measure 'happiness'"):
        check_data(good.assign(measure="happiness"), 30)
    with pytest.raises(ConfigError, match="must hold finite numbers"):
        check_data(good.assign(value=float("nan")), 30)
    with pytest.raises(ConfigError, match="sampler must be one of tpe, cmaes"):
        calibrate(good, RANGES, sampler="grid")
    bad = tmp_path / "obs.csv"
    good.assign(day=1000).to_csv(bad, index=False)
    run = run_command("cxsim-calibrate", "--data", str(bad), "-p",
                      "experience.loss_aversion=1:3", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.strip().startswith("cxsim-calibrate: error: data: day must be")
    assert "Traceback" not in run.stderr


def test_measures_name_real_daily_columns(cfg):
    daily = Simulation({**cfg, "days": 5}).run().daily
    assert set(_DAILY_COLUMNS) <= set(daily.columns)


def test_cli_calibration_on_a_launcher_is_the_in_process_calibration(tmp_path):
    """Rounds of 2 trials, each round one multirun on Hydra's basic launcher: the same trials,
    losses and best parameters as the same calibration run in this process."""
    data = pd.DataFrame({"measure": "survival", "day": [20, 40], "value": [0.95, 0.9]})
    data.to_csv(tmp_path / "obs.csv", index=False)
    base = ["population.customers=300", "population.prospects=0", "days=45"]
    param = "churn.daily_hazard_at_neutral=0.0002:0.002"
    run = run_command("cxsim-calibrate", "--data", str(tmp_path / "obs.csv"), "-p", param,
                      "--trials", "4", "--parallel-trials", "2", "--launcher", "basic",
                      "-o", str(tmp_path / "c"), *base, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    here = calibrate(data, [param], base, trials=4, parallel_trials=2)
    trials = pd.read_csv(tmp_path / "c" / "trials.csv")
    assert (trials.state == "COMPLETE").all()
    assert trials.value.tolist() == pytest.approx(here.trials.value.tolist(), rel=1e-12)
    best = json.loads((tmp_path / "c" / "best.json").read_text())["parameters"]
    assert best == pytest.approx(here.best, rel=1e-12)
    assert (tmp_path / "c" / "calibrated.yaml").exists()
    assert len(list((tmp_path / "c" / "batch" / "done").glob("chunk-*.parquet"))) >= 1


def test_a_stopped_round_is_run_again_with_the_same_points(tmp_path, monkeypatch):
    """A round stopped mid-way (here Ctrl-C in its second batch) leaves its trials failed and
    their parameters queued: the same call again runs those points first, then goes on."""
    data = pd.DataFrame({"measure": "survival", "day": [20], "value": [0.95]})
    base = ["population.customers=200", "population.prospects=0", "days=25"]
    param = ["churn.daily_hazard_at_neutral=0.0002:0.002"]
    calls = []
    real_run = Batch.run

    def recorded(self, points, *args, **kwargs):
        calls.append([dict(p) for p in points])
        if len(calls) == stop_at:
            raise KeyboardInterrupt
        return real_run(self, points, *args, **kwargs)

    monkeypatch.setattr(Batch, "run", recorded)
    stop_at = 2
    with pytest.raises(KeyboardInterrupt):
        calibrate(data, param, base, trials=4, parallel_trials=2, folder=tmp_path)
    calls.clear()
    stop_at = None
    again = calibrate(data, param, base, trials=4, parallel_trials=2, folder=tmp_path)
    stopped = again.trials[again.trials.state == "FAIL"]
    assert len(stopped) == 2
    assert calls[0] == [{"churn.daily_hazard_at_neutral": v}
                        for v in stopped["churn.daily_hazard_at_neutral"]]
    assert (again.trials.state == "COMPLETE").sum() == 4
