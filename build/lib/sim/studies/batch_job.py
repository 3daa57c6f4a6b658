"""The Hydra app behind batches on launchers: one job runs one chunk of a batch's runs.

`Batch.run(..., launcher="joblib")` (sim/studies/batch.py) writes the batch's configs as task
files, then runs this app once as a Hydra multirun over the chunks that are not done:

    python -m sim.studies.batch_job --multirun folder=FOLDER chunk=0,1,2 hydra/launcher=joblib \\
        hydra.sweep.dir=FOLDER/jobs hydra.sweep.subdir=chunk-\\${chunk}

so the chunks go to whatever launcher Hydra has (local processes, Ray, Slurm). A job
runs its chunk with sim.studies.batch.run_config, the same code as a batch run here, and writes
done/chunk-K.parquet atomically, or errors/chunk-K.json if it failed (and returns, so
the others go on). It is not meant to be run by hand.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import hydra
import numba
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig

from sim.studies.batch import run_task_chunk


@dataclass
class BatchJob:
    folder: str = MISSING  # the batch folder (absolute; shared by every worker)
    chunk: int = MISSING  # which tasks/chunk-K.pkl to run
    threads: int = 1  # numba threads (0: numba's default, every core)


ConfigStore.instance().store(name="cxsim_batch_job", node=BatchJob)


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
