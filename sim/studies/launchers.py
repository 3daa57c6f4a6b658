"""Batches on Hydra launchers: a batch's runs as the jobs of one Hydra multirun.

`Batch.run(points, launcher="joblib", folder="runs/b")` (sim/studies/batch.py), or "basic",
"ray", "submitit_local", "submitit_slurm", with `launcher_overrides` such as
`["hydra.launcher.partition=short"]`, hands its configs to run_on_launcher here: they are
cut into chunks, each written as a task file, and the chunks become the jobs of one Hydra
multirun of sim/studies/batch_job.py, started as a subprocess, so they run wherever Hydra's
launchers run them (local processes, a Ray cluster, Slurm). The conventions are the
sweeps' (sim/studies/sweep.py): each chunk's result is written atomically
(done/chunk-K.parquet) and stamped with the package version, a digest of the source and a
digest of its task, a chunk that raises records its error (errors/chunk-K.json) and the
others go on, and running the same batch again with the same folder runs only the chunks
that have no result of this task and code. The table is the in-process one, to the bit
(tests/test_batch.py). A launcher batch costs a few seconds to start (a new process, Hydra,
and each worker loading the compiled kernels; experiments/bench_batch.py), so it pays for
large batches, clusters and resumability.
"""

import functools
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.analysis.provenance import code_digest
from sim.errors import ConfigError, RunError
from sim.files import acquire_lock, release_lock, write_atomic

if TYPE_CHECKING:
    from sim.studies.batch import Measure

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


def worker_count(jobs: int) -> int:
    """The worker processes a `jobs` count means (joblib's: -1 for every core)."""
    return (os.cpu_count() or 1) if jobs < 0 else max(1, jobs)


def run_on_launcher(
    configs: Sequence[dict[str, Any]],
    measure: "Measure | None",
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


def _launch(folder: Path, configs: Sequence[dict[str, Any]], measure: "Measure | None",
            launcher: str, overrides: Sequence[str], chunk_size: int | None, jobs: int,
            progress: bool | None, kept: bool = True) -> list[dict[str, Any]]:
    n_jobs = [o.split("=", 1)[1] for o in overrides if o.startswith("hydra.launcher.n_jobs=")]
    given = int(n_jobs[-1]) if n_jobs and n_jobs[-1].lstrip("-").isdigit() else jobs
    workers = worker_count(given)
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
