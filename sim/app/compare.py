"""`cxsim-compare`: what-if comparisons from the shell (sim.studies.compare does the work).

    cxsim-compare scenario=[loyalty_programme,fix_journey_end] -r 20 -j 2
    cxsim-compare --sweep multirun/scenarios      # the jobs of a finished cxsim --multirun

It writes the comparison's tables, summary.md, report.html and plots into -o FOLDER
(default compare/DATE/TIME) and prints the plain-language summary.
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

from sim.app.exits import reported
from sim.app.options import parse_args, results_folder
from sim.errors import ConfigError
from sim.files import run_folder
from sim.studies import uncertainty
from sim.studies.compare import compare, compare_sweep
from sim.studies.scenarios import Scenario


def _cli_priors(use_defaults: bool, specs: Sequence[str]) -> dict[str, str] | None:
    """--uncertain: the documented priors; each --prior KEY=SPEC replaces or adds one."""
    if not use_defaults and not specs:
        return None
    priors = dict(uncertainty.PRIORS) if use_defaults else {}
    for spec in specs:
        key, sep, dist = spec.partition("=")
        if not sep:
            raise ConfigError(f"--prior {spec!r}: write KEY=SPEC, e.g. "
                              "experience.loss_aversion=uniform:1:3")
        priors[key.strip()] = dist.strip()
    return priors


def _parse_scenarios(value: str) -> list[str]:
    return [s.strip() for s in value.strip().strip("[]").split(",") if s.strip()]


class _WhatIf(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        namespace.what_ifs = [*namespace.what_ifs, {"text": values}]


class _WhatIfCost(argparse.Action):
    """--cost-per-day and --one-off belong to the --what-if given before them."""

    def __call__(self, parser, namespace, values, option_string=None):
        if not namespace.what_ifs:
            parser.error(f"{option_string} states the cost of a --what-if: give it after one")
        last = namespace.what_ifs[-1]
        key = self.dest
        if key in last:
            parser.error(f"{option_string} given twice for --what-if {last['text']!r}")
        last[key] = values


def _search_path_override(folders: Sequence[str]) -> str:
    """Scenario folders as a Hydra search path: each is linked as `scenario/` of a config root."""
    import tempfile

    roots = []
    for folder in folders:
        path = Path(folder).resolve()
        if not path.is_dir():
            raise ConfigError(f"--scenario-dir {folder}: no such folder")
        root = Path(tempfile.mkdtemp(prefix="cxsim-scenarios-"))
        (root / "scenario").symlink_to(path, target_is_directory=True)
        roots.append(f"file://{root}")
    return f"hydra.searchpath=[{','.join(roots)}]"


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `cxsim-compare` command."""
    parser = argparse.ArgumentParser(
        prog="cxsim-compare",
        description="Compare a baseline with what-if scenarios: R paired replications each "
        "(common random numbers), differences in retention, revenue, profit, NPS and CLV "
        "with 95% intervals, and each scenario's ROI.",
        epilog="examples:\n"
        "  cxsim-compare scenario=[loyalty_programme,fix_journey_end]\n"
        "  cxsim-compare scenario=[better_onboarding] journey=subscription -r 30 -j 2\n"
        "  cxsim-compare --sweep multirun/scenarios   # the jobs of a finished sweep\n"
        "  cxsim-compare --scenario-dir my_scenarios 'scenario=[cheaper_support]'\n"
        "  cxsim-compare --what-if 'steady: journey.touchpoints.delivery.spread=0.8' \\\n"
        "      --cost-per-day 20 --one-off 5000\n"
        "Any other key=value is a config override applied to every run (as in cxsim).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("overrides", nargs="*", help="scenario=[a,b] and config overrides")
    parser.add_argument("-r", "--replications", type=int, default=20, help="runs per scenario")
    parser.add_argument("-j", "--jobs", type=int, default=-1, help="worker processes (-1: all)")
    parser.add_argument("-o", "--out", help="results folder (default compare/DATE/TIME)")
    parser.add_argument("--baseline", default="baseline", help="the scenario to compare with")
    parser.add_argument(
        "--independent", action="store_true", help="independent seeds instead of pairs"
    )
    parser.add_argument("--sweep", help="compare the jobs of a finished cxsim --multirun sweep")
    parser.add_argument("--no-plots", action="store_true", help="write no plots")
    parser.add_argument(
        "--uncertain",
        action="store_true",
        help="draw behavioural constants from their documented priors, one draw per "
        "replication shared by baseline and scenarios (sim/studies/uncertainty.py)",
    )
    parser.add_argument(
        "--prior",
        action="append",
        default=[],
        metavar="KEY=SPEC",
        help="a prior (uniform:a:b, triangular:a:m:b, normal:mean:sd, fixed:v) replacing or "
        "adding to the documented ones; implies --uncertain",
    )
    parser.add_argument(
        "--scenario-dir", action="append", default=[], metavar="DIR",
        help="a folder of scenario files (NAME.yaml, as in configs/scenario/); repeatable")
    parser.add_argument(
        "--what-if", action=_WhatIf, dest="what_ifs", default=[], metavar="'NAME: KEY=VALUE ...'",
        help="an inline scenario; repeatable. Without --cost-per-day/--one-off after it, "
        "its cost is reported as not stated")
    parser.add_argument("--cost-per-day", action=_WhatIfCost, type=float, metavar="X",
                        help="the daily cost of the --what-if before it (currency a day)")
    parser.add_argument("--one-off", action=_WhatIfCost, type=float, metavar="Y",
                        help="the up-front cost of the --what-if before it (currency)")
    args, debug = parse_args(parser, argv)
    if args.jobs == 0 or args.jobs < -1:
        parser.error(f"argument -j/--jobs: must be -1 (all cores) or at least 1; got {args.jobs}")
    stopped = "the comparison stopped before writing its results; run the same command again"
    with reported("cxsim-compare", debug, on_interrupt=lambda: stopped):
        _main(args)


def _main(args: argparse.Namespace) -> None:
    scenarios = [
        s
        for o in args.overrides
        if o.startswith("scenario=")
        for s in _parse_scenarios(o.split("=", 1)[1])
    ]
    overrides = [o for o in args.overrides if not o.startswith("scenario=")]
    if args.scenario_dir:
        overrides.append(_search_path_override(args.scenario_dir))
    scenarios += [Scenario.parse(w["text"], w.get("cost_per_day"), w.get("one_off"))
                  for w in args.what_ifs]
    if args.sweep:
        if scenarios or overrides:
            raise ConfigError(
                "--sweep compares the jobs of a sweep; give no scenarios or overrides"
            )
        result = compare_sweep(args.sweep, baseline=args.baseline)
    else:
        result = compare(
            scenarios,
            replications=args.replications,
            overrides=overrides,
            baseline=args.baseline,
            jobs=args.jobs,
            paired=not args.independent,
            progress=None,
            priors=_cli_priors(args.uncertain, args.prior),
        )
    out = results_folder(args.out, "compare")
    with run_folder(out):  # one comparison per folder at a time
        result.save(out, plots=not args.no_plots)
    print(result.text())
    print(f"results: {out}")
