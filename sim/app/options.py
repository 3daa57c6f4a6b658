"""What the study commands (cxsim-compare, cxsim-sensitivity, cxsim-calibrate) share:
their launcher options, the split of their positional items into config overrides and
launcher settings, their results folder and the --debug flag."""

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sim.app.exits import debug_requested
from sim.errors import ConfigError
from sim.studies.launchers import LAUNCHERS, check_launcher


def add_launcher_arguments(parser: argparse.ArgumentParser) -> None:
    """--launcher and --chunk-size, as cxsim-sensitivity and cxsim-calibrate take them."""
    parser.add_argument("--launcher", default=None, metavar="NAME",
                        help=f"run the batches on a Hydra launcher: {', '.join(LAUNCHERS)} "
                        "(default: in this process on -j joblib workers)")
    parser.add_argument("--chunk-size", type=int, default=None, metavar="K",
                        help="runs per launcher job (default: about 4 jobs per -j worker, "
                        "at most 50 runs)")


def split_launcher_overrides(items: Sequence[str], launcher: str | None
                             ) -> tuple[list[str], list[str]]:
    """Config overrides of the base, and Hydra's settings (hydra.KEY=VALUE) for the launcher."""
    hydra = [o for o in items if o.split("=", 1)[0].lstrip("+~").startswith("hydra.")]
    if hydra and launcher is None:
        raise ConfigError(f"{hydra[0]}: hydra.* settings are for a launcher; name one with "
                          f"--launcher ({', '.join(LAUNCHERS)})")
    if launcher is not None:
        check_launcher(launcher, hydra)
    return [o for o in items if o not in hydra], hydra


def results_folder(out: str | None, command: str) -> Path:
    """The folder a command writes to: --out, or COMMAND/DATE/TIME in the current folder."""
    return Path(out or Path(command) / datetime.now().strftime("%Y-%m-%d/%H-%M-%S"))


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None
               ) -> tuple[argparse.Namespace, bool]:
    """The command line (sys.argv's by default) parsed, and whether --debug was given."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = debug_requested(args)
    return parser.parse_intermixed_args(args), debug

