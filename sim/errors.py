"""The errors cxsim raises, and the Ctrl-C check its loops make.

- ConfigError (a ValueError): the user's input is wrong; the message names the key and
  what is allowed.
- RunError (a RuntimeError): the run cannot be done or finished (memory, a folder in use);
  the message says what and what to do.

How the commands turn these (and any other error) into one line and an exit code is the
commands' business: sim.app.exits.
"""

import threading


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of range.

    The message always names the key (dotted path) and the allowed values or range.
    """


class RunError(RuntimeError):
    """The run cannot be done or finished for a reason outside the config's values
    (memory, a folder in use); the message says what and what to do."""


# set by a command's Ctrl-C handler (sim.app.exits.reported) while it watches a run
INTERRUPTED = threading.Event()


def stop_if_interrupted() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed: for loops to call once a step.

    The handler a command installs (sim.app.exits.reported) raises KeyboardInterrupt where
    the signal lands, but a library can swallow it there (an exception inside a ctypes
    callback, such as numba's compiler caching a kernel, is printed and ignored); the next
    check stops the run anyway.
    """
    if INTERRUPTED.is_set():
        raise KeyboardInterrupt
