"""Digests of what three runs write, to check a refactor changes no output byte.

    python experiments/check_identical.py digests.json            # write the digests
    python experiments/check_identical.py digests.json --against before.json

Runs, through the installed `cxsim` command: the default retail run, the subscription
journey for two years, and a two-job sweep. Every table (CSV and Parquet), `summary.json`
and the sweep table are hashed (sha256); plots are hashed too and listed apart, since
matplotlib may change a PNG's bytes across its own versions. A sweep job's `job.json` is
left out: it is the stamp of the code itself (version and source digest), made to differ.
With --against, prints
each file that differs and exits 1 if any does.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

RUNS = {
    "retail": [],
    "subscription_730": ["journey=subscription", "days=730"],
    "sweep": ["--multirun", "seed=1,2", "population.customers=2000",
              "population.prospects=1000", "days=120"],
}
HASHED = (".csv", ".parquet", ".json", ".png")


def digests(cxsim: str, folder: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, args in RUNS.items():
        where = folder / name
        key = "hydra.sweep.dir" if "--multirun" in args else "hydra.run.dir"
        subprocess.run([cxsim, *args, f"{key}={where}"], check=True, capture_output=True,
                       env={**os.environ, "MPLBACKEND": "Agg"}, cwd=folder)
        for path in sorted(where.rglob("*")):
            if path.suffix in HASHED and ".hydra" not in path.parts and path.name != "job.json":
                out[f"{name}/{path.relative_to(where)}"] = hashlib.sha256(
                    path.read_bytes()).hexdigest()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output", type=Path, help="where to write the digests (JSON)")
    ap.add_argument("--against", type=Path, help="digests written before, to compare with")
    ap.add_argument("--cxsim", default=str(Path(sys.executable).parent / "cxsim"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        now = digests(args.cxsim, Path(tmp))
    args.output.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
    print(f"{len(now)} files hashed into {args.output}")
    if args.against is None:
        return 0
    before = {k: v for k, v in json.loads(args.against.read_text()).items()
              if not k.endswith("job.json")}  # digests written before job.json was left out
    differ = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    for k in differ:
        print(f"  differs: {k}" + ("  (plot)" if k.endswith(".png") else ""))
    tables = [k for k in differ if not k.endswith(".png")]
    print(f"{len(differ)} of {len(before | now)} differ ({len(tables)} tables or summaries)")
    return 1 if tables else 0


if __name__ == "__main__":
    sys.exit(main())
