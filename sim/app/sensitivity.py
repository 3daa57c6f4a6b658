"""`cxsim-sensitivity`: global sensitivity analysis from the shell (sim.studies.sensitivity
does the work).

    cxsim-sensitivity --method sobol --kpi profit -n 64 -j 2 -o sens/sobol

It writes the sample's runs, the indices and plots/sensitivity.png into -o FOLDER (default
sensitivity/DATE/TIME), resumable, and prints the table of indices.
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
from sim.studies.sensitivity import DEFAULT_RANGES, METHODS, OUTPUTS, sensitivity


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `cxsim-sensitivity` command."""
    parser = argparse.ArgumentParser(
        prog="cxsim-sensitivity",
        description="Global sensitivity analysis of a KPI: Morris screening or Sobol indices "
        "(SALib) over config parameters with ranges; a tidy table of indices with 95% "
        "intervals and a bar plot. Resumable: run the same command again to finish.",
        epilog="examples:\n"
        "  cxsim-sensitivity                       # Morris, 20 trajectories, default parameters\n"
        "  cxsim-sensitivity --method sobol -n 64 --kpi profit -j 2\n"
        "  cxsim-sensitivity -p experience.loss_aversion=1:3 -p churn.switching_cost=0:1 "
        "journey=subscription\n"
        "  cxsim-sensitivity --method sobol -n 64 --launcher joblib hydra.launcher.n_jobs=2 "
        "-o sens/sobol\n"
        "  cxsim-sensitivity --method sobol -n 1024 --launcher submitit_slurm --chunk-size 50 "
        "hydra.launcher.partition=short hydra.launcher.timeout_min=60 -o /shared/sens\n"
        f"default parameters: {', '.join(DEFAULT_RANGES)}\n"
        "Any key=value is a config override of the base (as in cxsim); hydra.KEY=VALUE items "
        "set the --launcher (Hydra's launcher settings).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("overrides", nargs="*", help="config overrides of the base, and "
                        "hydra.launcher.KEY=VALUE settings of the --launcher")
    parser.add_argument("--method", choices=METHODS, default="morris")
    parser.add_argument("--kpi", default="retention", help=f"one of {', '.join(OUTPUTS)}")
    parser.add_argument("-p", "--param", action="append", default=None,
                        help="key=low:high (repeat); a bare key uses its default range")
    parser.add_argument("-n", type=int, default=None,
                        help="Morris trajectories (default 20) or Sobol base points (default 64)")
    parser.add_argument("-r", "--replications", type=int, default=1, help="runs per point")
    parser.add_argument("-j", "--jobs", type=int, default=-1, help="worker processes (-1: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample")
    add_launcher_arguments(parser)
    parser.add_argument("-o", "--out", help="results folder (default sensitivity/DATE/TIME)")
    args, debug = parse_args(parser, argv)
    n = args.n if args.n is not None else (20 if args.method == "morris" else 64)
    out = results_folder(args.out, "sensitivity")
    stopped = f"chunks already done are kept in {out}; run the same command again to finish"
    with reported("cxsim-sensitivity", debug, on_interrupt=lambda: stopped):
        overrides, launcher_overrides = split_launcher_overrides(args.overrides, args.launcher)
        result = sensitivity(args.param, args.kpi, args.method, n, args.replications,
                             overrides, args.jobs, args.seed, out, progress=None,
                             launcher=args.launcher, launcher_overrides=launcher_overrides,
                             chunk_size=args.chunk_size)
    table = result.indices.copy()
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"results: {out}")

