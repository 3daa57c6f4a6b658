"""Sweeps with `cxsim --multirun`: one table per sweep, any launcher, failures and resumption."""

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim.app.cli
import sim.studies.sweep
from sim.analysis.kpis import KPIS
from sim.simulation import Simulation
from sim.studies.compare import compare, compare_sweep
from sim.studies.sweep import gather
from tests.builders import run_command

SMALL = ["population.customers=500", "population.prospects=500", "days=40", "output.plots=false"]
SWEEP = [*SMALL, "churn.switching_cost=0,0.5", "replication=range(3)"]  # 6 jobs
FIRST_HALF = [*SMALL, "churn.switching_cost=0", "replication=range(3)"]  # its jobs 0-2


def cxsim(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return run_command("cxsim", *args, cwd=cwd, **kwargs)


def sweep_table(sweep_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(sweep_dir / "sweep.parquet")


def same_as_first_half(table: pd.DataFrame, reference: Path) -> None:
    """The jobs of FIRST_HALF are jobs 0-2 of SWEEP, to the bit (0 is an int there, not 0.0)."""
    pd.testing.assert_frame_equal(table, sweep_table(reference).iloc[:3], check_dtype=False)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The sweep run in turn by Hydra's basic launcher: what every launcher must reproduce."""
    tmp = tmp_path_factory.mktemp("sweep")
    proc = cxsim("--multirun", *SWEEP, f"hydra.sweep.dir={tmp / 'basic'}", cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    (tmp / "stdout.txt").write_text(proc.stdout)
    return tmp / "basic"


def test_the_table_has_a_row_per_job_with_parameters_seed_replication_and_kpis(reference):
    table = sweep_table(reference)
    assert list(table.job) == list(range(6))
    assert (table.status == "finished").all()
    assert list(table["churn.switching_cost"]) == [0.0, 0.0, 0.0, 0.5, 0.5, 0.5]
    assert list(table.replication) == [0, 1, 2, 0, 1, 2]
    assert (table.seed == 42).all()
    assert (table.scenario == "baseline").all()
    assert table[list(KPIS)].notna().all().all()
    summary = json.loads((reference / "4" / "summary.json").read_text())
    assert table.loc[4, "revenue"] == summary["revenue"]
    assert table.loc[4, "overrides"].endswith("churn.switching_cost=0.5 replication=1")
    pd.testing.assert_frame_equal(
        pd.read_csv(reference / "sweep.csv").iloc[:, :3], table.iloc[:, :3]
    )
    report = (reference.parent / "stdout.txt").read_text()
    assert f"cxsim sweep: 6 jobs in {reference}: 6 finished" in report


def test_the_sweep_plots_each_kpi_against_each_swept_parameter(reference):
    png = reference / "plots" / "churn.switching_cost.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in (reference / "plots").iterdir()] == [png.name]  # not replication


def test_one_and_two_workers_give_identical_tables_and_show_progress(reference, tmp_path):
    """Seeds come from (root seed, replication), never from the worker or the order."""
    for n in (1, 2):
        proc = cxsim(
            "--multirun",
            *SWEEP,
            "hydra/launcher=joblib",
            f"hydra.launcher.n_jobs={n}",
            f"hydra.sweep.dir={tmp_path / str(n)}",
            "hydra.callbacks.sweep_table.progress=true",
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        assert "6/6" in proc.stderr
        assert "failed=0" in proc.stderr
        pd.testing.assert_frame_equal(sweep_table(tmp_path / str(n)), sweep_table(reference))
    one, two = (tmp_path / "1" / "sweep.parquet", tmp_path / "2" / "sweep.parquet")
    assert one.read_bytes() == two.read_bytes()


def test_the_order_of_the_jobs_does_not_change_their_results(reference, tmp_path):
    proc = cxsim(
        "--multirun",
        *SMALL,
        "replication=2,0",
        "churn.switching_cost=0.5,0",
        f"hydra.sweep.dir={tmp_path / 'r'}",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    key = ["churn.switching_cost", "replication"]
    again = sweep_table(tmp_path / "r").set_index(key)[list(KPIS)]
    ref = sweep_table(reference).set_index(key).loc[again.index, list(KPIS)]
    assert list(again.index) == [(0.5, 2), (0.0, 2), (0.5, 0), (0.0, 0)]
    pd.testing.assert_frame_equal(again, ref)


def test_ray_launcher_on_a_local_ray_instance(reference, tmp_path):
    proc = cxsim(
        "--multirun",
        *FIRST_HALF,
        "hydra/launcher=ray",
        "+hydra.launcher.ray.init.num_cpus=2",
        "+hydra.launcher.ray.init.include_dashboard=false",
        f"hydra.sweep.dir={tmp_path / 'ray'}",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    same_as_first_half(sweep_table(tmp_path / "ray"), reference)


def test_submitit_launcher_through_its_local_executor(reference, tmp_path):
    proc = cxsim(
        "--multirun",
        *FIRST_HALF,
        "hydra/launcher=submitit_local",
        "hydra.launcher.timeout_min=10",
        f"hydra.sweep.dir={tmp_path / 'submitit'}",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    same_as_first_half(sweep_table(tmp_path / "submitit"), reference)


def run_main(monkeypatch, *args: str) -> int:
    """`cxsim ARGS` in this process (Hydra's basic launcher runs the jobs here too)."""
    monkeypatch.setattr(sys, "argv", ["cxsim", *args])
    try:
        sim.app.cli.main()
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


def test_a_failed_job_is_named_with_its_error_and_the_resumed_sweep_completes_it(
    reference, tmp_path, monkeypatch, capsys
):
    run = Simulation.run
    simulated = []

    def failing(self, progress=False):
        simulated.append(self.model.cfg["replication"])
        if self.model.cfg["replication"] == 1 and self.model.cfg["churn"]["switching_cost"]:
            raise RuntimeError("injected failure")
        return run(self, progress)

    monkeypatch.setattr(Simulation, "run", failing)
    args = ["--multirun", *SWEEP, f"hydra.sweep.dir={tmp_path / 's'}"]
    assert run_main(monkeypatch, *args) == 1
    table = sweep_table(tmp_path / "s")
    assert list(table.status) == ["finished"] * 4 + ["failed", "finished"]
    assert table.error[4] == "RuntimeError: injected failure"
    assert table[table.status == "finished"][list(KPIS)].notna().all().all()
    out = capsys.readouterr().out
    assert "6 jobs in" in out
    assert "5 finished, 1 failed" in out
    assert "failed: job 4 (" in out
    assert "replication=1): RuntimeError: injected failure" in out
    assert f"run the same command again with hydra.sweep.dir={tmp_path / 's'}" in out
    error = json.loads((tmp_path / "s" / "4" / "error.json").read_text())
    assert "Traceback" in error["traceback"]

    monkeypatch.setattr(Simulation, "run", run)
    simulated.clear()
    monkeypatch.setattr(
        Simulation, "run", lambda self, progress=False: simulated.append(1) or run(self, progress)
    )
    assert run_main(monkeypatch, *args) == 0
    assert simulated == [1], "only the failed job runs again; finished jobs are skipped"
    assert not (tmp_path / "s" / "4" / "error.json").exists()
    pd.testing.assert_frame_equal(sweep_table(tmp_path / "s"), sweep_table(reference))


def test_a_finished_job_is_run_again_when_the_code_changed(tmp_path, monkeypatch):
    """Resuming skips a job only if the same source code computed it."""
    args = ["--multirun", *SMALL, "replication=0,1", f"hydra.sweep.dir={tmp_path / 'v'}"]
    assert run_main(monkeypatch, *args) == 0
    run, simulated = Simulation.run, []
    monkeypatch.setattr(
        Simulation, "run", lambda self, progress=False: simulated.append(1) or run(self, progress)
    )
    assert run_main(monkeypatch, *args) == 0
    assert simulated == []
    monkeypatch.setattr(sim.studies.sweep, "code_digest", lambda: "another version of the code")
    assert run_main(monkeypatch, *args) == 0
    assert simulated == [1, 1]


def test_a_killed_sweep_loses_no_finished_job_and_resumes(tmp_path):
    """SIGKILL mid-sweep: finished jobs keep their results and are not run again."""
    args = ["--multirun", "output.plots=false", "replication=range(5)"]  # 10,000 x 365 days
    sweep_dir = tmp_path / "k"
    exe = Path(sys.executable).parent / "cxsim"
    proc = subprocess.Popen(
        [str(exe), *args, f"hydra.sweep.dir={sweep_dir}"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not list(sweep_dir.glob("*/summary.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {p: p.stat().st_mtime_ns for p in sweep_dir.glob("*/summary.json")}
    assert 1 <= len(finished) < 5, "the kill should land while the sweep runs"

    resumed = cxsim(*args, f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.count("already finished with this config, skipped") == len(finished)
    assert {p: p.stat().st_mtime_ns for p in finished} == finished  # not rewritten
    table = sweep_table(sweep_dir)
    assert (table.status == "finished").all()
    assert list(table.replication) == list(range(5))


def test_a_bad_swept_value_stops_the_sweep_before_any_job(tmp_path):
    proc = cxsim(
        "--multirun",
        *SMALL,
        "churn.attitude_sensitivity=1,-1",
        f"hydra.sweep.dir={tmp_path / 'b'}",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "cxsim: error: churn.attitude_sensitivity must be in [0, 20]; got -1" in proc.stderr
    assert not (tmp_path / "b").exists()


def test_a_scenario_a_journey_cannot_take_is_caught_across_swept_groups(tmp_path):
    proc = cxsim(
        "--multirun",
        *SMALL,
        "journey=retail,subscription",
        "scenario=baseline,fix_journey_end",
        f"hydra.sweep.dir={tmp_path / 'g'}",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "scenario.journey must be subscription or any" in proc.stderr
    assert not (tmp_path / "g").exists()


def test_a_sweep_over_scenarios_compares_as_cxsim_compare_does(tmp_path):
    """The same runs on a launcher (here Hydra's basic one) or in-process: the same answer."""
    proc = cxsim(
        "--multirun",
        *SMALL,
        "scenario=baseline,loyalty_programme",
        "replication=range(3)",
        f"hydra.sweep.dir={tmp_path / 'c'}",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    from_sweep = compare_sweep(tmp_path / "c")
    direct = compare(["loyalty_programme"], replications=3, overrides=SMALL)
    key = ["scenario", "replication"]
    pd.testing.assert_frame_equal(
        from_sweep.runs.sort_values(key).reset_index(drop=True),
        direct.runs.sort_values(key).reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(from_sweep.differences, direct.differences)
    pd.testing.assert_frame_equal(from_sweep.over_time, direct.over_time)


def test_gather_of_an_interrupted_sweep_lists_jobs_not_started(reference, tmp_path):
    """Job folders of the sweep that are missing are rows with status 'not started'."""
    partial = tmp_path / "p"
    partial.mkdir()
    (partial / "multirun.yaml").write_bytes((reference / "multirun.yaml").read_bytes())
    shutil.copytree(reference / "0", partial / "0")
    table = gather(partial)
    assert list(table.status) == ["finished"] + ["not started"] * 5
    assert list(table.replication[1:]) == [1, 2, 0, 1, 2]


def test_a_single_long_run_shows_a_progress_bar(cfg, capsys):
    Simulation(cfg).run(progress=True)
    assert "120/120" in capsys.readouterr().err
