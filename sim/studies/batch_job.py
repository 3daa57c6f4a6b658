"""The Hydra app behind batches on launchers: one job runs one chunk of a batch's runs.

`Batch.run(..., launcher="joblib")` (sim/studies/batch.py, through
sim/studies/launchers.py) writes the batch's configs as task files, then runs this app once
as a Hydra multirun over the chunks that are not done:

    python -m sim.studies.batch_job --multirun folder=FOLDER chunk=0,1,2 hydra/launcher=joblib \\
        hydra.sweep.dir=FOLDER/jobs hydra.sweep.subdir=chunk-\\${chunk}

so the chunks go to whatever launcher Hydra has (local processes, Ray, Slurm). A job runs
its chunk (run_task_chunk) with sim.studies.batch.run_config, the same code as a batch run
in-process, and writes done/chunk-K.parquet atomically, or errors/chunk-K.json if it
failed (and returns, so the others go on). It is not meant to be run by hand.
"""

import json
import logging
import pickle
import traceback
from dataclasses import dataclass
from pathlib import Path

import hydra
import numba
import numpy as np
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig

from sim.files import write_atomic, write_json
from sim.studies.batch import run_config
from sim.studies.launchers import DONE, ERRORS, TASKS, chunk_stamp, read_stamp, task_digest


@dataclass
class BatchJob:
    folder: str = MISSING  # the batch folder (absolute; shared by every worker)
    chunk: int = MISSING  # which tasks/chunk-K.pkl to run
    threads: int = 1  # numba threads (0: numba's default, every core)


ConfigStore.instance().store(name="cxsim_batch_job", node=BatchJob)


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


@hydra.main(version_base="1.3", config_path=None, config_name="cxsim_batch_job")
def _app(cfg: DictConfig) -> str:
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    if cfg.threads > 0:
        numba.set_num_threads(min(int(cfg.threads), numba.config.NUMBA_NUM_THREADS))
    return run_task_chunk(Path(cfg.folder), int(cfg.chunk))


def main() -> None:
    _app()


if __name__ == "__main__":
    # run the package's copy of the module (not __main__), so that launchers that pickle
    # the task function find it by its module on the workers
    from sim.studies.batch_job import main as package_main

    package_main()
