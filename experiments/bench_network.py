"""Build time and peak memory of each network kind (default n = 1,000,000, mean degree 10).

Each kind runs in a fresh subprocess so the peak resident memory (ru_maxrss, Linux) is its
own, and numba kernels are warmed up on a tiny graph first so the time measured is the
build rather than JIT compilation/cache loading. The edge_list row loads a file written by
``Network.save_edgelist`` from the random graph.

Usage: python experiments/bench_network.py [--n 1000000] [--mean-degree 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from sim.mechanisms.network import KINDS, build_network


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found in /proc/self/status")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(kind: str, n: int, mean_degree: float, path: str) -> dict[str, float | str]:
    """Run in a child process: warm up, then time one full-size build."""
    # edge_list has no kernels of its own; scale_free warms the shared key/CSR kernels.
    warm_kind = "scale_free" if kind == "edge_list" else kind
    build_network(warm_kind, 200, 4, np.random.default_rng(1))
    base = _rss_mb()
    start = time.perf_counter()
    net = build_network(kind, n, mean_degree, np.random.default_rng(0), path=path)
    seconds = time.perf_counter() - start
    return {
        "kind": kind,
        "seconds": seconds,
        "base_mb": base,
        "peak_mb": _peak_mb(),
        "csr_mb": (net.indptr.nbytes + net.indices.nbytes) / 2**20,
        "mean_degree": net.mean_degree,
        "max_degree": int(net.degree.max()),
    }


def _save(n: int, mean_degree: float, path: str) -> dict[str, float]:
    """Run in a child process: write the edge list the edge_list benchmark reads."""
    net = build_network("random", n, mean_degree, np.random.default_rng(0))
    start = time.perf_counter()
    net.save_edgelist(path)
    return {"seconds": time.perf_counter() - start, "mb": os.path.getsize(path) / 2**20}


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--mean-degree", type=float, default=10.0)
    parser.add_argument("--child", choices=[*KINDS, "save"], help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "save":
        print(json.dumps(_save(args.n, args.mean_degree, args.path)))
        return
    if args.child:
        print(json.dumps(_measure(args.child, args.n, args.mean_degree, args.path)))
        return

    common = ["--n", str(args.n), "--mean-degree", str(args.mean_degree)]
    print(f"n={args.n:,} mean_degree={args.mean_degree:g} (one fresh process per kind)")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "edges.txt")
        saved = _child(*common, "--child", "save", "--path", path)
        print(f"save_edgelist (random graph): {saved['seconds']:.2f} s, {saved['mb']:.0f} MiB file")
        header = "kind          build s  base RSS MiB  peak RSS MiB  +peak MiB  CSR MiB  mean deg"
        print(header)
        print("-" * len(header))
        for kind in KINDS:
            r = _child(*common, "--child", kind, "--path", path)
            print(
                f"{kind:<12} {r['seconds']:8.2f} {r['base_mb']:13.0f} {r['peak_mb']:13.0f}"
                f" {r['peak_mb'] - r['base_mb']:10.0f} {r['csr_mb']:8.0f} {r['mean_degree']:9.3f}"
            )


if __name__ == "__main__":
    main()
