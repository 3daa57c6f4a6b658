"""Fast batches: many small runs in one process, one composed config, parameters varied per run.

A sweep composes a Hydra config, opens a job folder and writes tables for every run; for
calibration and global sensitivity analysis, which need hundreds or thousands of runs of
a few KPIs each, that start-up dominates. A batch composes the base config once, then for
each point sets a few keys (`{"experience.loss_aversion": 1.5}`), checks the config and
runs the model in the worker process, whose numba kernels are compiled (or loaded from the
cache) once. A run of a batch gives the same numbers as `Simulation(cfg).run()` for the
same config, seed and replication (tests/test_batch.py).

    from sim.studies.batch import Batch
    batch = Batch(["days=180"])
    table = batch.run([{"experience.loss_aversion": 1.0}, {"experience.loss_aversion": 2.25}],
                      replications=4, jobs=2)
    table  # one row per run: point, replication, the varied keys, KPIs (sim.analysis.kpis)

Parallel batches use joblib's worker processes (which live on between calls), each with
one numba thread, and hand each worker runs in chunks.

On a Hydra launcher (`batch.run(points, launcher="joblib", folder="runs/b")`, or "basic",
"ray", "submitit_local", "submitit_slurm", with `launcher_overrides` such as
`["hydra.launcher.partition=short"]`), the same chunks become the jobs of one Hydra
multirun of sim/studies/batch_job.py, so they run wherever Hydra's launchers run them (local
processes, a Ray cluster, Slurm). The conventions are the sweeps' (sim/studies/sweep.py): each
chunk's result is written atomically (done/chunk-K.parquet) and stamped with the package
version, a digest of the source and a digest of its task, a chunk that raises records its
error (errors/chunk-K.json) and the others go on, and running the same batch again with
the same folder runs only the chunks that have no result of this task and code. The table
is the in-process one, to the bit (tests/test_batch.py). A launcher batch costs a few
seconds to start (a new process, Hydra, and each worker loading the compiled kernels;
experiments/bench_batch.py), so it pays for large batches, clusters and resumability.
"""

import copy
import functools
import hashlib
import json
import os
import pickle
import tempfile
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.kpis import run_kpis
from sim.analysis.provenance import code_digest
from sim.config import load_config, to_plain
from sim.config.schema import MapOf, Num, Opaque, UnknownKey, find_rule
from sim.errors import ConfigError, RunError
from sim.files import acquire_lock, release_lock, write_atomic, write_json

Measure = Callable[[Any], Mapping[str, float]]  # a Result -> named figures


def declared_rule(key: str) -> Any:
    """The declaration of a dotted config key in sim.config.schema.SCHEMA (a Num, Choice, ...).

    Raises ConfigError naming the allowed keys at the level where the key goes wrong.
    Keys inside the journey and the service centre (checked by their own modules) and
    segment keys (`segments.mainstream.expectation`) are found too.
    """
    from sim.mechanisms.journey import JOURNEY_KEYS, TOUCHPOINT_REQUIRED

    def journey_keys(path: list[str], rule: Any) -> Any:  # declared in sim/mechanisms/journey.py
        if path != ["journey"]:
            return rule
        keys = {k: v if v is not None else Opaque() for k, v in JOURNEY_KEYS.items()}
        keys["touchpoints"] = MapOf({k: v if v is not None else Opaque()
                                     for k, v in TOUCHPOINT_REQUIRED.items()})
        return keys

    try:
        rule = find_rule(key, expand=journey_keys)
    except UnknownKey as err:
        raise ConfigError(f"unknown parameter {key}; allowed keys at {err.where}: "
                          f"{err.allowed}") from None
    if isinstance(rule, Mapping | MapOf):
        raise ConfigError(f"{key} is a section, not a parameter; name one of its keys")
    return rule


def declared_bounds(key: str) -> tuple[float | None, float | None]:
    """(low, high) allowed for a numeric key by sim.config.schema; None where unbounded."""
    rule = declared_rule(key)
    if not isinstance(rule, Num):
        raise ConfigError(f"{key} is not a number parameter; only numbers can be varied here")
    return rule.low, rule.high


def set_key(cfg: dict[str, Any], key: str, value: Any) -> None:
    """Set a dotted key in a plain config, which must already have it."""
    node = cfg
    parts = key.split(".")
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node:
            where = ".".join(parts[: i + 1])
            raise ConfigError(f"unknown parameter {key}: the config has no {where}")
        node = node[part]
    if not isinstance(node, dict) or parts[-1] not in node:
        raise ConfigError(f"unknown parameter {key}: the config has no such key")
    node[parts[-1]] = value


def get_key(cfg: Mapping[str, Any], key: str) -> Any:
    node: Any = cfg
    for part in key.split("."):
        node = node[part]
    return node


def _plain_number(key: str, value: Any) -> Any:
    """numpy scalars as Python numbers; integer keys rounded (a sampler gives floats)."""
    if isinstance(value, np.generic):
        value = value.item()
    rule = declared_rule(key)
    if isinstance(rule, Num) and rule.integer and isinstance(value, float):
        value = round(value)
    return value


def run_config(cfg: dict[str, Any], measure: Measure | None = None) -> dict[str, float]:
    """One run of a checked or unchecked config: its KPIs, and `measure`'s figures if given.

    Mesa agent handles are not created (they are views on the arrays and change no number).
    """
    from sim.analysis.results import Result
    from sim.engine.model import CXModel

    cfg = copy.deepcopy(cfg)
    cfg["population"]["agent_handles"] = "none"
    model = CXModel(cfg)
    while model.day < model.days:
        model.step()
    result = Result.from_model(model)
    out = run_kpis(result.summary, result.segments)
    if measure is not None:
        out.update(measure(result))
    return out


def _run_chunk(
    configs: list[dict[str, Any]], measure: Measure | None, one_thread: bool
) -> list[dict[str, float]]:
    if one_thread:
        import numba

        numba.set_num_threads(1)
    return [run_config(c, measure) for c in configs]


class Batch:
    """A base config, composed once, and runs of it with a few keys changed per point.

    overrides: Hydra overrides of the base (`["journey=subscription", "days=730"]`), or
    cfg: a plain config to start from (sim.load_config's output, possibly edited).
    """

    def __init__(self, overrides: Sequence[str] = (), cfg: Mapping[str, Any] | None = None):
        if cfg is not None and overrides:
            raise ValueError("pass either cfg or overrides, not both")
        self.base = copy.deepcopy(to_plain(cfg)) if cfg is not None else load_config(overrides)

    def config(self, point: Mapping[str, Any] | None = None, replication: int = 0) -> dict:
        """The config of one run: the base with the point's keys set, replication added.

        The replication number is added to the base's, as in comparisons and sweeps.
        """
        cfg = copy.deepcopy(self.base)
        for key, value in (point or {}).items():
            set_key(cfg, key, _plain_number(key, value))
        cfg["replication"] = int(self.base["replication"]) + int(replication)
        return cfg

    def check(self, points: Iterable[Mapping[str, Any]]) -> None:
        """Every point's config is checked (keys, ranges, journey map) before any run."""
        from sim.studies.scenarios import check_config

        for point in points:
            check_config(self.config(point))

    def run(
        self,
        points: Sequence[Mapping[str, Any]] | pd.DataFrame,
        replications: int | Sequence[int] = 1,
        jobs: int = 1,
        measure: Measure | None = None,
        progress: bool | None = False,
        check: bool = True,
        launcher: str | None = None,
        launcher_overrides: Sequence[str] = (),
        folder: str | Path | None = None,
        chunk_size: int | None = None,
    ) -> pd.DataFrame:
        """Run every point for every replication; one row per run, in point then replication order.

        points: mappings of dotted key -> value, or a DataFrame whose columns are keys.
        replications: a count R (replications 0..R-1) or the replication numbers to run;
        every point runs the same replications (common random numbers across points).
        jobs: worker processes (joblib; -1 for every core). measure: a picklable function of
        a sim.analysis.results.Result returning more figures to put in the table.

        launcher: None runs the batch here, on joblib's workers; a Hydra launcher name
        (LAUNCHERS: basic, joblib, ray, submitit_local, submitit_slurm) runs it as one
        Hydra multirun of chunks of `chunk_size` runs, with launcher_overrides such as
        `hydra.launcher.n_jobs=4` or `hydra.launcher.partition=NAME`, in `folder` (a
        temporary one if None): the same table, and a rerun with the same folder runs
        only the chunks not yet done (see run_on_launcher).
        """
        if launcher is not None:
            check_launcher(launcher, launcher_overrides)
        if isinstance(points, pd.DataFrame):
            points = points.to_dict("records")
        points = [dict(p) for p in points]
        reps = list(range(replications)) if isinstance(replications, int) else list(replications)
        if not points or not reps:
            raise ConfigError("a batch needs at least one point and one replication")
        if check:
            self.check(points)
        tasks = [(i, r) for i in range(len(points)) for r in reps]
        configs = [self.config(points[i], r) for i, r in tasks]
        if launcher is not None:
            outputs = run_on_launcher(configs, measure, launcher, launcher_overrides, folder,
                                      chunk_size, jobs, progress)
            return pd.DataFrame([{"point": i, "replication": r, **points[i], **out}
                                 for (i, r), out in zip(tasks, outputs, strict=True)])
        from joblib import Parallel, delayed
        from tqdm import tqdm

        n_workers = _workers(jobs)
        size = max(1, min(8, len(configs) // (4 * n_workers)))
        chunks = [configs[k : k + size] for k in range(0, len(configs), size)]
        results = Parallel(n_jobs=jobs, return_as="generator")(
            delayed(_run_chunk)(chunk, measure, jobs != 1) for chunk in chunks
        )
        rows: list[dict[str, Any]] = []
        disable = None if progress is None else not progress
        with tqdm(total=len(tasks), unit="run", desc="cxsim-batch", disable=disable) as bar:
            for result in results:
                for out in result:
                    i, r = tasks[len(rows)]
                    rows.append({"point": i, "replication": r, **points[i], **out})
                bar.update(len(result))
        return pd.DataFrame(rows)


def _workers(jobs: int) -> int:
    import os

    return (os.cpu_count() or 1) if jobs < 0 else max(1, jobs)


# --- batches on Hydra launchers ----------------------------------------------------------------

LAUNCHERS = ("basic", "joblib", "ray", "submitit_local", "submitit_slurm")
_PLUGINS = {  # the package each launcher's Hydra plugin comes from
    "joblib": ("hydra_plugins.hydra_joblib_launcher", "hydra-joblib-launcher"),
    "ray": ("hydra_plugins.hydra_ray_launcher", "hydra-ray-launcher"),
    "submitit_local": ("hydra_plugins.hydra_submitit_launcher", "hydra-submitit-launcher"),
    "submitit_slurm": ("hydra_plugins.hydra_submitit_launcher", "hydra-submitit-launcher"),
}
TASKS, DONE, ERRORS, JOBS = "tasks", "done", "errors", "jobs"  # folders of a launcher batch
LOG = "launcher.log"  # the multirun's own output (Hydra's and the launcher's)


def check_launcher(launcher: str, overrides: Sequence[str] = ()) -> None:
    """A launcher name, its plugin and its overrides checked (Hydra composes them), or one line.

    Overrides are Hydra's own settings (`hydra.launcher.n_jobs=4`,
    `+hydra.launcher.ray.init.num_cpus=2`); the sweep folder is the batch's to choose.
    """
    _check_launcher(launcher, tuple(overrides))


@functools.cache  # a calibration checks the same launcher every round: compose it once
def _check_launcher(launcher: str, overrides: tuple[str, ...]) -> None:
    import importlib.util

    from hydra import compose, initialize
    from hydra.errors import HydraException

    if launcher not in LAUNCHERS:
        raise ConfigError(f"launcher must be one of {', '.join(LAUNCHERS)}; got {launcher!r}")
    module, package = _PLUGINS.get(launcher, (None, None))
    if module is not None and importlib.util.find_spec(module) is None:
        raise ConfigError(f"launcher {launcher} needs the package {package} "
                          "(pip install -e \".[cluster]\", or bash setup.sh)")
    for item in overrides:
        key = item.split("=", 1)[0].lstrip("+~")
        if "=" not in item or not key.startswith("hydra.") or key.startswith("hydra.sweep"):
            raise ConfigError(
                f"launcher override {item!r}: give Hydra's launcher settings as "
                "hydra.launcher.KEY=VALUE (or +hydra.launcher.KEY=VALUE to add one); the "
                "sweep folder is the batch folder's jobs/"
            )
    try:
        with initialize(version_base="1.3", config_path=None):
            compose(None, overrides=[f"hydra/launcher={launcher}", *overrides],
                    return_hydra_config=True)
    except HydraException as err:
        text = " ".join(line.strip() for line in str(err).splitlines() if line.strip())
        raise ConfigError(f"launcher overrides {' '.join(overrides)}: {text}") from None


def task_digest(payload: bytes) -> str:
    return hashlib.sha1(payload).hexdigest()


def chunk_stamp(digest: str) -> dict[str, str]:
    """What a chunk's result records: the package version, its source code and its task."""
    return {"version": version("cxsim"), "code": code_digest(), "task": digest}


def read_stamp(path: Path) -> dict[str, str] | None:
    """The stamp of a chunk's result file, or None if it is missing or unreadable."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
        return json.loads(meta[b"cxsim"])
    except (OSError, KeyError, ValueError, pa.ArrowException):
        return None


def run_task_chunk(folder: Path, chunk: int) -> str:
    """One job of a launcher batch: run tasks/chunk-K, write done/chunk-K.parquet atomically.

    Skipped if its result of this task and code is there (a resumed or retried job). An
    error is written to errors/chunk-K.json (error and traceback) and not raised: the other
    jobs go on, and the driver names the chunk and its error in one line.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    done = folder / DONE / f"chunk-{chunk}.parquet"
    error = folder / ERRORS / f"chunk-{chunk}.json"
    try:
        payload = (folder / TASKS / f"chunk-{chunk}.pkl").read_bytes()
        stamp = chunk_stamp(task_digest(payload))
        if read_stamp(done) == stamp:
            return "skipped"
        task = pickle.loads(payload)
        rows = [{k: v.item() if isinstance(v, np.generic) else v
                 for k, v in run_config(c, task["measure"]).items()} for c in task["configs"]]
        table = pa.Table.from_pylist(rows).replace_schema_metadata(
            {"cxsim": json.dumps(stamp)})
        write_atomic(done, lambda tmp: pq.write_table(table, tmp))
        error.unlink(missing_ok=True)
    except Exception as err:
        write_json(error, {"chunk": chunk, "error": f"{type(err).__name__}: {err}",
                           "traceback": traceback.format_exc()})
        return "failed"
    return "finished"


def run_on_launcher(
    configs: Sequence[dict[str, Any]],
    measure: Measure | None,
    launcher: str,
    overrides: Sequence[str] = (),
    folder: str | Path | None = None,
    chunk_size: int | None = None,
    jobs: int = 1,
    progress: bool | None = False,
) -> list[dict[str, Any]]:
    """Run configs as one Hydra multirun over chunks of them; their outputs, in order.

    The folder gets tasks/chunk-K.pkl (the configs and the measure), jobs/chunk-K (each
    Hydra job's folder and log), done/chunk-K.parquet (each chunk's outputs, stamped with
    the package version, source digest and task digest), errors/chunk-K.json and
    launcher.log. Only chunks without a result of the same task and code are launched,
    so running the same batch again in the same folder resumes it; results of another
    task or other code are ignored and recomputed. The folder must be one that every
    worker sees (a shared file system on Ray or Slurm).
    """
    check_launcher(launcher, overrides)
    if chunk_size is not None and (isinstance(chunk_size, bool) or
                                   not isinstance(chunk_size, int) or chunk_size < 1):
        raise ConfigError(f"chunk_size must be an integer >= 1; got {chunk_size!r}")
    if folder is None:
        with tempfile.TemporaryDirectory(prefix="cxsim-batch-") as tmp:
            return _launch(Path(tmp), configs, measure, launcher, overrides, chunk_size, jobs,
                           progress, kept=False)
    folder = Path(folder).resolve()
    if "'" in str(folder):
        raise ConfigError(f"folder {folder}: a batch folder's path cannot contain a quote (')")
    lock = acquire_lock(folder)  # one driver per batch folder
    try:
        return _launch(folder, configs, measure, launcher, overrides, chunk_size, jobs,
                       progress)
    finally:
        release_lock(lock)


def _launch(folder: Path, configs: Sequence[dict[str, Any]], measure: Measure | None,
            launcher: str, overrides: Sequence[str], chunk_size: int | None, jobs: int,
            progress: bool | None, kept: bool = True) -> list[dict[str, Any]]:
    n_jobs = [o.split("=", 1)[1] for o in overrides if o.startswith("hydra.launcher.n_jobs=")]
    workers = _workers(int(n_jobs[-1]) if n_jobs and n_jobs[-1].lstrip("-").isdigit() else jobs)
    size = chunk_size or max(1, min(50, -(-len(configs) // (4 * workers))))
    chunks = [list(configs[k : k + size]) for k in range(0, len(configs), size)]
    for sub in (TASKS, DONE, ERRORS):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        for stale in (folder / sub).glob(".*.tmp"):  # of a killed job
            stale.unlink(missing_ok=True)
        for old in (folder / sub).glob("chunk-*"):  # of an earlier, longer batch
            k = old.name.split(".")[0].removeprefix("chunk-")
            if k.isdigit() and int(k) >= len(chunks):
                old.unlink()
    digests = []
    for k, chunk in enumerate(chunks):
        try:
            payload = pickle.dumps({"configs": chunk, "measure": measure}, protocol=5)
        except (pickle.PicklingError, AttributeError, TypeError) as err:
            raise ConfigError(f"measure: a batch on a launcher sends it to the workers, so it "
                              f"must be picklable (a module-level function or class): {err}"
                              ) from None
        path = folder / TASKS / f"chunk-{k}.pkl"
        if not path.exists() or path.read_bytes() != payload:
            write_atomic(path, lambda tmp, p=payload: tmp.write_bytes(p))
        digests.append(task_digest(payload))
    stamps = [chunk_stamp(d) for d in digests]
    todo = [k for k in range(len(chunks))
            if read_stamp(folder / DONE / f"chunk-{k}.parquet") != stamps[k]]
    for k in todo:
        (folder / DONE / f"chunk-{k}.parquet").unlink(missing_ok=True)
        (folder / ERRORS / f"chunk-{k}.json").unlink(missing_ok=True)
    returncode = 0
    if todo:
        returncode = _multirun(folder, todo, launcher, overrides, jobs, len(chunks) - len(todo),
                               len(chunks), progress)
    outputs: list[dict[str, Any]] = []
    failed: list[str] = []
    for k in range(len(chunks)):
        path = folder / DONE / f"chunk-{k}.parquet"
        stamp = read_stamp(path)
        if stamp == stamps[k]:
            import pyarrow.parquet as pq

            outputs.extend(pq.read_table(path).to_pylist())
            continue
        runs = f"runs {k * size}-{k * size + len(chunks[k]) - 1}"
        error_file = folder / ERRORS / f"chunk-{k}.json"
        if error_file.exists():
            why = json.loads(error_file.read_text())["error"]
            failed.append(f"chunk {k} ({runs}) failed: {why} (traceback in {error_file})")
        elif stamp is not None:
            failed.append(f"chunk {k} ({runs}) was computed by other code (cxsim "
                          f"{stamp.get('version')}, source {str(stamp.get('code'))[:12]}, "
                          f"here {stamps[k]['code'][:12]}): every worker needs this checkout")
        else:
            failed.append(f"chunk {k} ({runs}) did not finish (killed, or the launcher "
                          f"stopped: see {folder / LOG} and {folder / JOBS}/chunk-{k})")
    if failed:
        last = _last_line(folder / LOG) if returncode else ""
        more = len(failed) - 1
        resume = (
            f"{len(chunks) - len(failed)} of {len(chunks)} chunks done are kept in {folder}: "
            "run the same batch again with that folder to run only the rest"
            if kept else "give the batch a folder to keep the chunks done and resume"
        )
        if last and not any((folder / ERRORS / f"chunk-{k}.json").exists() for k in todo):
            what = (f"the launcher stopped (exit {returncode}): {last} (its log: "
                    f"{folder / LOG}); {len(failed)} of {len(chunks)} chunks not done")
        else:
            what = failed[0] + (f"; {more} more chunk{'s' if more > 1 else ''} failed"
                                if more else "")
        raise RunError(f"batch on the {launcher} launcher: {what}; {resume}")
    return outputs


def _multirun(folder: Path, todo: list[int], launcher: str, overrides: Sequence[str],
              jobs: int, done: int, total: int, progress: bool | None) -> int:
    """`python -m sim.studies.batch_job --multirun chunk=...` with the launcher; its exit code."""
    import subprocess
    import sys
    import time

    from tqdm import tqdm

    extra = []
    if launcher == "joblib" and not any("hydra.launcher.n_jobs" in o for o in overrides):
        extra.append(f"hydra.launcher.n_jobs={jobs}")
    cmd = [
        sys.executable, "-m", "sim.studies.batch_job", "--multirun",
        f"folder='{folder}'", "chunk=" + ",".join(map(str, todo)),
        f"threads={0 if launcher == 'basic' else 1}",  # parallel jobs: one numba thread each
        f"hydra/launcher={launcher}", f"hydra.sweep.dir='{folder / JOBS}'",
        "hydra.sweep.subdir=chunk-${chunk}", *extra, *overrides,
    ]
    root = str(Path(__file__).resolve().parents[2])  # sim importable without an install
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    env.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage reports (and no network)
    env["HYDRA_FULL_ERROR"] = "1"  # tracebacks in the log, not on the user's screen
    disable = None if progress is None else not progress
    with open(folder / LOG, "w") as log, \
            tqdm(total=total, initial=done, unit="chunk", desc=f"cxsim-batch ({launcher})",
                 disable=disable) as bar:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                cwd=folder, stdin=subprocess.DEVNULL)
        try:
            while proc.poll() is None:
                time.sleep(0.2)
                if not bar.disable:
                    bar.n = sum(1 for _ in (folder / DONE).glob("chunk-*.parquet"))
                    bar.refresh()
        except BaseException:  # Ctrl-C, or the caller stopped: stop the launcher too
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
        bar.n = sum(1 for _ in (folder / DONE).glob("chunk-*.parquet"))
        bar.refresh()
    return proc.returncode


def _last_line(path: Path) -> str:
    """The last line of a log that says something (Hydra ends with the error)."""
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [line for line in lines if line and not line.startswith("Set the environment")]
    return lines[-1][:300] if lines else ""
