"""The batch API: many runs in one process give the numbers single runs give."""

import copy
import json
import re
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.analysis.kpis import KPIS, run_kpis
from sim.analysis.provenance import code_digest
from sim.errors import ConfigError, RunError
from sim.simulation import Simulation
from sim.studies.batch import Batch, declared_bounds


@pytest.fixture
def small(cfg) -> dict:
    c = copy.deepcopy(cfg)
    c["population"]["customers"] = 800
    c["population"]["prospects"] = 400
    c["days"] = 60
    return c


def test_batch_runs_equal_single_runs(small):
    """Same config, seed and replication: the same KPIs, to the last bit, in parallel too."""
    batch = Batch(cfg=small)
    points = [{"experience.loss_aversion": 1.0}, {"churn.attitude_sensitivity": 2.0}]
    table = batch.run(points, replications=[0, 3], jobs=2)
    assert len(table) == 4
    for row in table.itertuples():
        cfg = copy.deepcopy(small)
        key, value = next(iter(points[row.point].items()))
        section, name = key.split(".")
        cfg[section][name] = value
        cfg["replication"] = small["replication"] + row.replication
        result = Simulation(cfg).run()
        single = run_kpis(result.summary, result.segments)
        for k in KPIS:
            assert getattr(row, k) == single[k], (k, row.point, row.replication)


def test_batch_points_differ_and_replications_are_common(small):
    """Points share replications (common random numbers): the same point twice is the same run."""
    table = Batch(cfg=small).run(
        [{"experience.loss_aversion": 2.0}, {"experience.loss_aversion": 2.0},
         {"experience.loss_aversion": 0.5}],
        replications=2,
    )
    a, b, c = (table[table.point == i].retention.to_numpy() for i in range(3))
    assert (a == b).all()
    assert (a != c).any()


def test_batch_rejects_bad_points_before_running(small):
    batch = Batch(cfg=small)
    with pytest.raises(ConfigError, match=r"unknown parameter experience\.loss_avers"):
        batch.run([{"experience.loss_avers": 1.0}])
    with pytest.raises(ConfigError, match=r"experience\.loss_aversion must be in \[0, 10\]"):
        batch.run([{"experience.loss_aversion": 1.0}, {"experience.loss_aversion": -1.0}])


def test_declared_bounds_come_from_params():
    assert declared_bounds("experience.loss_aversion") == (0.0, 10.0)
    with pytest.raises(ConfigError, match="not a number parameter"):
        declared_bounds("memory.rule")


# --- batches on Hydra launchers ---------------------------------------------------------------

TINY = ["population.customers=200", "population.prospects=100", "days=30"]
POINTS = [{"experience.loss_aversion": 1.0}, {"churn.attitude_sensitivity": 2.0}]


class FailOnReplication:
    """A measure that raises in one replication (picklable: the launcher's jobs import it)."""

    def __init__(self, replication: int):
        self.replication = replication

    def __call__(self, result) -> dict:
        if result.config["replication"] == self.replication:
            raise ValueError("no data for this run")
        return {"days_run": float(result.config["days"])}


@pytest.fixture(scope="module")
def in_process():
    batch = Batch(TINY)
    return batch, batch.run(POINTS, replications=2)


LAUNCHER_SETTINGS = {  # a local Ray instance of 2 CPUs, without its dashboard
    "ray": ["+hydra.launcher.ray.init.num_cpus=2",
            "+hydra.launcher.ray.init.include_dashboard=false"],
}


@pytest.mark.parametrize("launcher", ["basic", "joblib", "ray"])
def test_a_batch_on_a_launcher_gives_the_in_process_table(in_process, launcher, tmp_path):
    """Same points, seeds and replications: the same table, to the bit, in the same order."""
    batch, expected = in_process
    table = batch.run(POINTS, replications=2, jobs=2, launcher=launcher, folder=tmp_path,
                      launcher_overrides=LAUNCHER_SETTINGS.get(launcher, []), chunk_size=1)
    pd.testing.assert_frame_equal(table, expected)
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == [
        f"chunk-{k}.parquet" for k in range(4)]


def test_a_rerun_runs_only_the_chunks_not_done(in_process, tmp_path):
    """Deleted results, and results stamped by other code, are recomputed; the rest is not
    touched (their files keep their modification times)."""
    batch, expected = in_process
    batch.run(POINTS, replications=2, launcher="basic", folder=tmp_path, chunk_size=1)
    done = [tmp_path / "done" / f"chunk-{k}.parquet" for k in range(4)]
    before = [p.stat().st_mtime_ns for p in done]
    done[1].unlink()
    other = pq.read_table(done[2])
    stamp = {**json.loads(other.schema.metadata[b"cxsim"]), "code": "other source"}
    pq.write_table(other.replace_schema_metadata({"cxsim": json.dumps(stamp)}), done[2])
    before[2] = done[2].stat().st_mtime_ns
    time.sleep(0.01)
    table = batch.run(POINTS, replications=2, launcher="basic", folder=tmp_path, chunk_size=1)
    pd.testing.assert_frame_equal(table, expected)
    after = [p.stat().st_mtime_ns for p in done]
    assert (after[0], after[3]) == (before[0], before[3])  # kept
    assert after[2] != before[2]  # other code: run again
    assert json.loads(pq.read_schema(done[2]).metadata[b"cxsim"])["code"] == code_digest()
    jobs = sorted(p.name for p in (tmp_path / "jobs").iterdir() if p.is_dir())
    assert jobs == ["chunk-0", "chunk-1", "chunk-2", "chunk-3"]
    log = (tmp_path / "launcher.log").read_text()
    assert re.findall(r"#\d+ : .* chunk=(\d+) ", log) == ["1", "2"]  # the rerun's 2 jobs


def test_a_failed_chunk_is_named_in_one_line_and_the_others_are_kept(tmp_path):
    batch = Batch(["population.customers=100", "population.prospects=0", "days=10"])
    with pytest.raises(RunError) as err:
        batch.run(POINTS, replications=2, launcher="basic", folder=tmp_path, chunk_size=1,
                  measure=FailOnReplication(1))
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("batch on the basic launcher: chunk 1 (runs 1-1) failed: "
                              "ValueError: no data for this run (traceback in ")
    assert "; 1 more chunk failed;" in message  # chunk 3: point 1, replication 1
    assert "2 of 4 chunks done are kept" in message
    assert "Traceback" in (tmp_path / "errors" / "chunk-1.json").read_text()
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == [
        "chunk-0.parquet", "chunk-2.parquet"]


def test_bad_launchers_are_refused_in_one_line_before_any_run(tmp_path):
    batch = Batch(TINY)
    with pytest.raises(ConfigError, match=r"^launcher must be one of basic, joblib, ray, "
                                          r"submitit_local, submitit_slurm; got 'slurm'$"):
        batch.run(POINTS, launcher="slurm", folder=tmp_path)
    with pytest.raises(ConfigError, match=r"Could not override 'hydra\.launcher\.nope'"):
        batch.run(POINTS, launcher="joblib", launcher_overrides=["hydra.launcher.nope=1"])
    with pytest.raises(ConfigError, match=r"launcher override 'days=3': give Hydra's"):
        batch.run(POINTS, launcher="joblib", launcher_overrides=["days=3"])
    with pytest.raises(ConfigError, match="must be picklable"):
        batch.run(POINTS, launcher="basic", measure=lambda r: {}, folder=tmp_path)
    assert not (tmp_path / "done").exists() or not any((tmp_path / "done").iterdir())


def test_a_launcher_that_stops_is_named_in_one_line_with_its_error(tmp_path):
    """joblib refuses n_jobs=0 once the multirun starts: its error leads the line."""
    batch = Batch(["population.customers=100", "population.prospects=0", "days=10"])
    with pytest.raises(RunError) as err:
        batch.run(POINTS, launcher="joblib", launcher_overrides=["hydra.launcher.n_jobs=0"],
                  folder=tmp_path, chunk_size=1)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("batch on the joblib launcher: the launcher stopped (exit 1): ")
    assert "n_jobs == 0" in message
    assert message.endswith(f"2 of 2 chunks not done; 0 of 2 chunks done are kept in "
                            f"{tmp_path}: run the same batch again with that folder to run "
                            "only the rest")
