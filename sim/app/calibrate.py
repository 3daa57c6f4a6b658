"""`cxsim-calibrate`: calibration to observed series from the shell (sim.studies.calibrate
does the work).

    cxsim-calibrate --data retention.csv -p churn.attitude_sensitivity=0.5:2 -o calib

It writes calibrated.yaml, trials.csv, fit.csv, plots/fit.png and study.db into -o FOLDER
(default calibrate/DATE/TIME), resumable, and prints the best parameters and the fit.
"""

import argparse
from collections.abc import Sequence

from sim.app.exits import reported
from sim.app.options import (
    add_launcher_arguments,
    parse_args,
    results_folder,
    split_launcher_overrides,
)
from sim.studies.calibrate import MEASURES, SAMPLERS, calibrate


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `cxsim-calibrate` command."""
    parser = argparse.ArgumentParser(
        prog="cxsim-calibrate",
        description="Calibrate parameters to observed series with Optuna (TPE or CMA-ES, "
        "seeded), averaging replications with common random numbers. Writes calibrated.yaml "
        "(run it with cxsim --config-dir FOLDER --config-name calibrated), trials.csv, fit.csv, "
        "plots/fit.png and study.db (run the same command again to continue the study).",
        epilog="examples:\n"
        "  cxsim-calibrate --data retention.csv -p churn.daily_hazard_at_neutral=0.0002:0.002 "
        "-p churn.attitude_sensitivity=0.5:2\n"
        "  cxsim-calibrate --data nps.csv -p experience.loss_aversion=1:3 journey=subscription "
        "--trials 80 --sampler cmaes -j 2\n"
        "  cxsim-calibrate --data retention.csv -p churn.attitude_sensitivity=0.5:2 "
        "--parallel-trials 4 --launcher joblib hydra.launcher.n_jobs=2\n"
        "  cxsim-calibrate --data retention.csv -p churn.attitude_sensitivity=0.5:2 -r 10 "
        "--parallel-trials 20 --launcher submitit_slurm hydra.launcher.partition=short "
        "-o /shared/calib\n"
        "data: a CSV with columns measure, day, value[, weight]; measures: " + MEASURES + "\n"
        "Any key=value is a config override of the base (as in cxsim); hydra.KEY=VALUE items "
        "set the --launcher (Hydra's launcher settings).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("overrides", nargs="*", help="config overrides of the base, and "
                        "hydra.launcher.KEY=VALUE settings of the --launcher")
    parser.add_argument("--data", required=True, help="CSV of observations")
    parser.add_argument("-p", "--param", action="append", required=True,
                        help="key=low:high, a parameter to fit (repeat)")
    parser.add_argument("--trials", type=int, default=40, help="finished trials wanted")
    parser.add_argument("-r", "--replications", type=int, default=2, help="runs per trial")
    parser.add_argument("--sampler", choices=SAMPLERS, default="tpe")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampler")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (-1: all)")
    parser.add_argument("--parallel-trials", type=int, default=1,
                        help="trials run at once as one batch (one multirun on a --launcher)")
    add_launcher_arguments(parser)
    parser.add_argument("-o", "--out", help="results folder (default calibrate/DATE/TIME)")
    args, debug = parse_args(parser, argv)
    out = results_folder(args.out, "calibrate")
    stopped = f"finished trials are kept in {out}/study.db; run the same command again to go on"
    with reported("cxsim-calibrate", debug, on_interrupt=lambda: stopped):
        overrides, launcher_overrides = split_launcher_overrides(args.overrides, args.launcher)
        result = calibrate(args.data, args.param, overrides, args.trials,
                           args.replications, args.sampler, args.seed, args.jobs, out,
                           progress=None, parallel_trials=args.parallel_trials,
                           launcher=args.launcher, launcher_overrides=launcher_overrides,
                           chunk_size=args.chunk_size)
    print(f"best of {len(result.trials)} trials (loss {result.loss:.4g}):")
    for k, v in result.best.items():
        print(f"  {k} = {v:.6g}")
    print(result.fit.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"results: {out}  (cxsim --config-dir {out} --config-name calibrated)")
