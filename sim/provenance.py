"""Where a result comes from: the package version and a digest of its source code.

At the bottom of the reporting side (it imports nothing of the package), so runs, sweeps
and comparisons stamp their outputs the same way.
"""

import functools
import hashlib
from importlib.metadata import version
from pathlib import Path
from typing import Any


@functools.cache
def code_digest() -> str:
    """A digest of the package's source: results of other code are told apart."""
    sources = sorted(Path(__file__).parent.glob("*.py"))
    return hashlib.sha1(b"".join(p.read_bytes() for p in sources)).hexdigest()


def stamp(**extra: Any) -> dict[str, Any]:
    """The provenance of an output: package, version, source digest and what else is given."""
    return {"package": "cxsim", "version": version("cxsim"), "code": code_digest(), **extra}
