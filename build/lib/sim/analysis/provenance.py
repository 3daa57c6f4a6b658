"""Where a result comes from: the package version and a digest of its source code.

At the bottom of the analysis layer (it imports nothing of the package), so runs, sweeps
and comparisons stamp their outputs the same way.
"""

import functools
import hashlib
from importlib.metadata import version
from pathlib import Path
from typing import Any


@functools.cache
def code_digest() -> str:
    """A digest of the package's source, every module of every layer with its path: results
    of other code are told apart."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def stamp(**extra: Any) -> dict[str, Any]:
    """The provenance of an output: package, version, source digest and what else is given."""
    return {"package": "cxsim", "version": version("cxsim"), "code": code_digest(), **extra}
