"""Exit codes, and the one line the commands print for an error instead of a traceback.

Exit codes (README, "Errors and exit codes"):

- 0: done.
- 2 (EXIT_USER, as argparse and Hydra use): the user's input is wrong: an unknown key, a
  value out of range, NaN or inf, a malformed or non-UTF-8 YAML file, a bad option, an
  unusable edge list. Nothing was simulated and nothing was written.
- 3 (EXIT_RUNTIME): the run could not be done or finished: the output folder is read-only,
  full or used by another run, the model does not fit in memory, a job of a sweep failed.
- 130 (EXIT_INTERRUPTED): stopped by Ctrl-C (SIGINT), as shells report it.
- 1: a bug in cxsim (an unexpected exception); please report it with the --debug traceback.

`--debug` on the command line, or the environment variable CXSIM_DEBUG=1, shows the full
traceback of any error instead of the one line. The errors themselves (ConfigError,
RunError) and the Ctrl-C check of the loops are sim.errors'.
"""

import contextlib
import errno
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sim.errors import INTERRUPTED, ConfigError, RunError

EXIT_USER, EXIT_RUNTIME, EXIT_INTERRUPTED, EXIT_BUG = 2, 3, 130, 1
EXIT_BROKEN_PIPE = 141  # the reader of the output went away (`| head`), as shells report it
DEBUG_ENV = "CXSIM_DEBUG"


def debug_requested(argv: list[str] | None = None) -> bool:
    """--debug in argv (removed from it, so argparse and Hydra never see it) or CXSIM_DEBUG."""
    flag = False
    if argv is not None:
        while "--debug" in argv:
            argv.remove("--debug")
            flag = True
    return flag or os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _yaml_file(err: BaseException) -> str | None:
    """The YAML file a decoding error happened in, from the reading code's local variables."""
    found = None
    tb = err.__traceback__
    while tb is not None:
        for name in ("full_path", "path", "filename", "name"):
            value = tb.tb_frame.f_locals.get(name)
            if isinstance(value, str | Path) and str(value).endswith((".yaml", ".yml")):
                found = str(value)
        tb = tb.tb_next
    return found


def _decode_error(err: UnicodeDecodeError) -> str:
    path = _yaml_file(err)
    if path is None:
        return f"a file is not valid UTF-8 text: {err}"
    data = Path(path).read_bytes()
    try:
        data.decode("utf-8")
        line = None
    except UnicodeDecodeError as again:
        line = data[: again.start].count(b"\n") + 1
        byte = data[again.start : again.start + 1].hex()
    where = f"{path}, line {line}" if line else path
    detail = f" (byte 0x{byte})" if line else ""
    return f"{where}: not valid UTF-8 text{detail}; save the file as UTF-8"


def _yaml_error(err: BaseException) -> str:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or _one_line(err)
    if mark is None:
        return f"malformed YAML: {problem}"
    return f"{mark.name}, line {mark.line + 1}, column {mark.column + 1}: malformed YAML: {problem}"


def _hydra_message(err: BaseException) -> str:
    text = str(err).split("Config search path", 1)[0]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and lines[1].startswith("Available options"):
        return f"{lines[0]}; {lines[1]} {', '.join(lines[2:])}"
    return "; ".join(lines)


def _os_error(err: OSError) -> str:
    what = err.filename or "a file"
    reason = err.strerror or str(err)
    if err.errno == errno.ENOSPC:
        reason = "no space left on the device (the disk is full)"
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = f"{reason} (the folder is read-only or not yours)"
    return (
        f"could not write {what}: {reason}; every file written before is complete "
        "(files are written to a temporary name, then renamed), nothing else was lost"
    )


def describe(err: BaseException) -> tuple[int, str]:
    """The exit code and the one line for an error (see the module docstring)."""
    import yaml
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    cause = err
    while cause.__cause__ is not None and isinstance(cause, HydraException):
        cause = cause.__cause__  # Hydra wraps the YAML or decoding error it met
    if isinstance(cause, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted (Ctrl-C)"
    if isinstance(cause, ConfigError):
        return EXIT_USER, str(cause)
    if isinstance(cause, UnicodeDecodeError):
        return EXIT_USER, _decode_error(cause)
    if isinstance(cause, yaml.YAMLError):
        return EXIT_USER, _yaml_error(cause)
    if isinstance(cause, HydraException | OmegaConfBaseException):
        return EXIT_USER, _hydra_message(cause)
    if isinstance(cause, RunError):
        return EXIT_RUNTIME, str(cause)
    if isinstance(cause, MemoryError):
        return EXIT_RUNTIME, (
            "out of memory; run a smaller market (population.customers, population.prospects)"
            " or fewer days, or free memory"
        )
    if isinstance(cause, OSError):
        return EXIT_RUNTIME, _os_error(cause)
    return EXIT_BUG, (
        f"internal error: {type(cause).__name__}: {_one_line(cause)} "
        f"(a bug in cxsim: rerun with --debug or {DEBUG_ENV}=1 for the traceback and report it)"
    )


@contextlib.contextmanager
def reported(
    prog: str, debug: bool, on_interrupt: Callable[[], str] | None = None
) -> Iterator[None]:
    """Turn any error into one line on stderr and its exit code (a traceback with debug).

    on_interrupt: called after Ctrl-C for the line saying what finished and how to resume.
    A Ctrl-C that lands inside a library (Hydra composing a job's config, say) can surface
    as some other error there; whatever ends the run after Ctrl-C is reported as Ctrl-C.
    """
    INTERRUPTED.clear()

    def on_sigint(signum: int, frame: Any) -> None:
        INTERRUPTED.set()
        raise KeyboardInterrupt

    unraisable = sys.unraisablehook

    def on_unraisable(info: Any) -> None:
        # the Ctrl-C a ctypes callback swallowed: stop_if_interrupted reports it, not Python
        if not (INTERRUPTED.is_set() and isinstance(info.exc_value, KeyboardInterrupt)):
            unraisable(info)

    previous = None
    with contextlib.suppress(ValueError):  # only the main thread may set a handler
        previous = signal.signal(signal.SIGINT, on_sigint)
    sys.unraisablehook = on_unraisable
    try:
        yield
    except SystemExit:
        raise
    except BrokenPipeError:  # `cxsim --help | head`: the reader left; nothing to report
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_BROKEN_PIPE)
    except BaseException as err:
        if debug:
            raise
        code, message = describe(err)
        if INTERRUPTED.is_set():
            code = EXIT_INTERRUPTED
        label = "error"
        if code == EXIT_INTERRUPTED:
            label = "interrupted"
            message = f"Ctrl-C: {on_interrupt()}" if on_interrupt is not None else "Ctrl-C"
        print(f"{prog}: {label}: {message}", file=sys.stderr, flush=True)
        sys.exit(code)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = unraisable
        INTERRUPTED.clear()
