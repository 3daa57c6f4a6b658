"""Run folders: atomic file writes, one run per folder (a lock file), no stale outputs.

- write_atomic: a reader never sees a half-written file, and a crash loses nothing: the
  file is written under a temporary name `.NAME.*.tmp` beside it, then renamed into place.
- write_json: strict JSON; a number that is not finite (NaN, inf) is written as null
  (`summary.json` says why beside it, e.g. `clv_notes`), never as `NaN` or `Infinity`.
- run_folder: a run takes `.cxsim.lock` in its folder, created atomically (O_CREAT|O_EXCL)
  with its process id and host; a second run into the same folder stops with a RunError
  naming the folder and that process. A lock left by a killed run (its process is gone)
  is taken over. On entry the folder's stale temporary files are removed and, if asked,
  the outputs of the previous run in that folder (so nothing old sits beside the new).
"""

import contextlib
import json
import math
import os
import socket
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from sim.errors import RunError

LOCK = ".cxsim.lock"


def write_atomic(path: str | os.PathLike, write: Callable[[Path], Any]) -> Path:
    """Call write(tmp_path) on a temporary file beside path, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        # mkstemp makes the file private (0600); results are for colleagues on a shared
        # folder, so give it the mode any new file gets under the umask (0644 by default)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: str | os.PathLike, data: Any) -> Path:
    text = json.dumps(finite(data), indent=2, sort_keys=False, default=_plain, allow_nan=False)

    def dump(tmp: Path) -> None:
        tmp.write_text(text + "\n")

    return write_atomic(path, dump)


def finite(data: Any) -> Any:
    """A copy of nested dicts/lists with every non-finite float (NaN, inf) as None."""
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite(v) for v in data]
    if hasattr(data, "item") and not isinstance(data, str | bytes):
        data = data.item()
    if isinstance(data, float) and not math.isfinite(data):
        return None
    return data


def _plain(x: Any) -> Any:
    """JSON for numpy scalars."""
    if hasattr(x, "item"):
        return x.item()
    raise TypeError(f"cannot write {type(x).__name__} to JSON")


# --- one run, one folder ---------------------------------------------------------------------


def _owner(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _alive(owner: dict[str, Any]) -> bool:
    """Whether the process that wrote a lock still runs (another host: assume it does)."""
    pid = owner.get("pid")
    if not isinstance(pid, int):
        return False  # unreadable or half-written: a run killed while taking the lock
    if owner.get("host") != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire_lock(folder: Path) -> Path:
    """Create folder/.cxsim.lock atomically; RunError if a live run holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    me = {"pid": os.getpid(), "host": socket.gethostname()}
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _owner(path)
            if _alive(owner):
                raise RunError(
                    f"the run folder {folder} is in use by another cxsim run (process "
                    f"{owner.get('pid')} on {owner.get('host')}); wait for it to finish or "
                    "choose another folder (hydra.run.dir=...); if that process is gone, "
                    f"delete {path}"
                ) from None
            path.unlink(missing_ok=True)  # left by a killed run
            continue
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(me))
        return path
    raise RunError(f"could not take the lock {path}: other runs keep taking it")


def release_lock(path: Path) -> None:
    if _owner(path).get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def remove_stale_tmp(folder: Path) -> list[Path]:
    """Delete temporary files of write_atomic left by a killed run (folder and plots/)."""
    stale = [p for d in (folder, folder / "plots") for p in d.glob(".*.tmp") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def clear_outputs(folder: Path, names: Iterable[str]) -> list[Path]:
    """Delete a previous run's outputs (the given file names and plots/*.png) in folder."""
    old = [folder / n for n in names if (folder / n).is_file()]
    old += sorted((folder / "plots").glob("*.png"))
    for p in old:
        p.unlink(missing_ok=True)
    return old


@contextlib.contextmanager
def run_folder(folder: str | os.PathLike, outputs: Iterable[str] = ()) -> Iterator[Path]:
    """Hold the folder's lock while a run writes into it; stale .tmp and old outputs go first."""
    folder = Path(folder)
    lock = acquire_lock(folder)
    try:
        remove_stale_tmp(folder)
        clear_outputs(folder, outputs)
        yield folder
    finally:
        remove_stale_tmp(folder)
        release_lock(lock)
