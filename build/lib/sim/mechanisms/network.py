"""Social network over the whole market (people 0..n-1), the substrate for word of mouth.

The graph is kept as CSR arrays (``indptr``/``indices``) rather than a networkx graph
because the simulation touches every neighbour list every step and builds graphs of a
million people: CSR is compact, cache-friendly and can be handed straight to numba.
Generators are numba loops over flat arrays so that 1,000,000 nodes of mean degree 10
build in well under a second per kind; networkx is only used for inspection.
"""

from __future__ import annotations

import contextlib
import logging
import math
import operator
import os
import secrets
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from numba import njit

from sim.errors import ConfigError

KINDS = ("small_world", "scale_free", "random", "edge_list")

_SAVE_CHUNK = 65536  # edges formatted per write in save_edgelist


@dataclass(frozen=True, eq=False)
class Network:
    """Undirected simple graph in CSR form: the neighbours of ``i`` are
    ``indices[indptr[i]:indptr[i + 1]]``, sorted ascending; every edge is stored in both rows."""

    indptr: np.ndarray  # int64, length n + 1
    indices: np.ndarray  # int32 neighbour ids

    def __post_init__(self) -> None:
        # Cheap shape/dtype checks only: the O(E) invariants are guaranteed by the builders.
        if self.indptr.ndim != 1 or self.indptr.dtype != np.int64 or self.indptr.size == 0:
            raise ValueError("Network.indptr must be a non-empty 1-D int64 array")
        if self.indices.ndim != 1 or self.indices.dtype != np.int32:
            raise ValueError("Network.indices must be a 1-D int32 array")
        if self.indptr[0] != 0 or self.indptr[-1] != self.indices.size:
            raise ValueError("Network.indptr must start at 0 and end at len(indices)")

    @property
    def n(self) -> int:
        """Number of people (nodes)."""
        return self.indptr.size - 1

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return self.indices.size // 2

    @property
    def degree(self) -> np.ndarray:
        """Degree of every node (int64 array of length n)."""
        return np.diff(self.indptr)

    @property
    def mean_degree(self) -> float:
        """Average number of neighbours per person."""
        return self.indices.size / self.n if self.n else 0.0

    def neighbours(self, i: int) -> np.ndarray:
        """Sorted neighbour ids of node ``i`` (a read-only view into ``indices``)."""
        i = operator.index(i)
        if not 0 <= i < self.n:
            raise IndexError(f"node {i} is outside 0..{self.n - 1}")
        view = self.indices[self.indptr[i] : self.indptr[i + 1]]
        view.flags.writeable = False
        return view

    def edges(self) -> np.ndarray:
        """All undirected edges once each, as an (n_edges, 2) int64 array with u < v."""
        rows = np.repeat(np.arange(self.n, dtype=np.int64), self.degree)
        upper = rows < self.indices
        return np.column_stack((rows[upper], self.indices[upper].astype(np.int64)))

    def to_networkx(self) -> nx.Graph:
        """networkx copy (all n nodes, isolated ones included) for inspection and plotting."""
        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        g.add_edges_from(self.edges().tolist())
        return g

    @classmethod
    def from_networkx(cls, g: nx.Graph) -> Network:
        """Network from a graph whose nodes are exactly the integers 0..n-1.

        Edge direction, parallel edges and self-loops are dropped so the result is simple.
        """
        n = g.number_of_nodes()
        if set(g.nodes) != set(range(n)):
            raise ValueError(f"from_networkx: the graph's nodes must be the integers 0..{n - 1}")
        pairs = np.array(list(g.edges()), dtype=np.int64).reshape(-1, 2)
        return _from_edges(pairs[:, 0], pairs[:, 1], n)

    def save_edgelist(self, path: str | os.PathLike[str]) -> None:
        """Write "u v" lines (u < v) that ``build_network('edge_list', ...)`` reads back.

        Atomic: the text goes to a temporary file in the same directory which then replaces
        ``path``, so a crash never leaves a half-written network behind.
        """
        path = os.path.abspath(path)
        # Named by hand rather than tempfile.mkstemp so the file gets the usual umask
        # permissions instead of 0600.
        tmp = os.path.join(
            os.path.dirname(path), f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp"
        )
        try:
            with open(tmp, "x") as f:
                f.write(f"# undirected edge list: n={self.n} edges={self.n_edges}\n")
                edges = self.edges()
                # %-formatting a chunk at a time is ~8x faster than np.savetxt and keeps
                # the temporary Python ints bounded.
                for start in range(0, len(edges), _SAVE_CHUNK):
                    chunk = edges[start : start + _SAVE_CHUNK]
                    f.write(("%d %d\n" * len(chunk)) % tuple(chunk.ravel().tolist()))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def build_network(
    kind: str,
    n: int,
    mean_degree: float,
    rng: np.random.Generator,
    rewire_prob: float = 0.1,
    path: str | os.PathLike[str] | None = None,
    homophily: float = 0.0,
    groups: np.ndarray | None = None,
) -> Network:
    """Build the market's social network; the same ``rng`` state gives identical arrays.

    Positions are random: a generated graph is built on positions 0..n-1 and then
    relabelled by a permutation drawn from ``rng``, so who sits where (next to whom on
    the lattice, which nodes became hubs) does not depend on person ids. In the model,
    ids 0..C-1 are the day-0 customers; without the permutation a small-world lattice
    would tie customers almost only to customers and scale-free growth would make them
    the hubs.

    ``homophily`` (0-1, needs ``groups``: True for customers) then clusters customers:
    a share ``homophily`` of the ties between a customer and somebody else is rewired,
    two at a time and keeping everybody's degree, into one customer-customer and one
    other-other tie (a tie that would repeat an existing one is kept as it was). With
    random positions a customer's share of ties to the others is about the others'
    share of the market, q; with homophily h it becomes about (1 - h) q.

    kinds:
      * ``small_world``: Watts-Strogatz ring lattice with k neighbours, each edge's far end
        rewired with probability ``rewire_prob`` to a uniform node that creates no
        self-loop or duplicate. k is ``mean_degree`` rounded half-up to an even number
        (5 -> 6, 7.2 -> 8), so ``mean_degree`` must be at least 1.
      * ``scale_free``: Barabasi-Albert preferential attachment with
        m = ``mean_degree``/2 rounded half-up edges per new node, grown from a star of m+1
        nodes (as networkx does); mean degree is 2m(n-m)/n.
      * ``random``: Erdos-Renyi G(n, p) with p = ``mean_degree``/(n-1) (geometric skips).
      * ``edge_list``: "u v" integer pairs from the text file ``path`` ('#' comments and
        blank lines allowed; ids in 0..n-1). Duplicates, reversed duplicates and
        self-loops are dropped. ``mean_degree``, ``rewire_prob`` and ``rng`` are unused.

    ``rewire_prob`` only affects small_world but is validated for every generated kind,
    so a bad config value fails even while another kind is selected.
    """
    if kind not in KINDS:
        raise ConfigError(f"network.kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n < 2**31:
        raise ConfigError(
            f"network: population size n must be an integer in 1..2**31-1 (int32 ids); got {n!r}"
        )
    n = int(n)
    if not _is_real(homophily) or not 0 <= homophily <= 1:
        raise ConfigError(f"network.homophily must be a number in [0, 1]; got {homophily!r}")
    if homophily > 0 and (groups is None or len(groups) != n):
        raise ValueError("build_network: homophily needs groups, one boolean per person")
    if kind == "edge_list":
        if path is None:
            raise ConfigError("network.path is required when network.kind is edge_list")
        u, v = _read_edge_list(os.fspath(path), n)  # ids are the people the file names
        _check_edge_list(os.fspath(path), u, v, n)
        return _finish(u, v, n, homophily, groups, rng)

    if not _is_real(mean_degree) or not 0 < mean_degree < n - 1:
        raise ConfigError(
            "network.mean_degree must be a number above 0 and below the population "
            f"n={n} minus one, i.e. in (0, {n - 1}); got {mean_degree!r}"
        )
    if not _is_real(rewire_prob) or not 0 <= rewire_prob <= 1:
        raise ConfigError(
            f"network.rewire_prob must be a probability in [0, 1]; got {rewire_prob!r}"
        )
    if kind in ("small_world", "scale_free") and mean_degree < 1:
        raise ConfigError(
            f"network.mean_degree must be at least 1 for network.kind={kind} "
            f"(it is rounded to whole neighbours per node); got {mean_degree!r}"
        )

    half = math.floor(mean_degree / 2 + 0.5)
    if kind == "small_world":
        u, v = _small_world_edges(n, half, float(rewire_prob), rng)
    elif kind == "scale_free":
        u, v = _barabasi_albert_edges(n, half, rng)
    else:
        u, v = np.divmod(_erdos_renyi_keys(n, mean_degree / (n - 1), rng), n)
    position = rng.permutation(n)  # person position[i] takes the place built as node i
    return _finish(position[u], position[v], n, homophily, groups, rng)


def _finish(u: np.ndarray, v: np.ndarray, n: int, homophily: float, groups, rng) -> Network:
    """CSR of the edges, after the homophilous swaps if asked for."""
    if homophily > 0:
        u, v = _homophilous_swaps(np.asarray(u, np.int64), np.asarray(v, np.int64),
                                  np.asarray(groups, np.bool_), n, float(homophily), rng)
    return _from_edges(u, v, n)


@njit(cache=True)
def _homophilous_swaps(u, v, group, n, h, rng):
    """Rewire pairs of mixed ties (a-b, c-d; a, c in the group) into a-c and b-d with
    probability h each, keeping every degree; a swap that would create a loop or repeat
    an existing tie is skipped."""
    u = u.copy()
    v = v.copy()
    existing = set()
    for e in range(u.size):
        existing.add(max(u[e], v[e]) * n + min(u[e], v[e]))
    mixed = np.empty(u.size, np.int64)
    count = 0
    for e in range(u.size):
        if group[u[e]] != group[v[e]]:
            if not group[u[e]]:  # orient: the group's end first
                u[e], v[e] = v[e], u[e]
            mixed[count] = e
            count += 1
    mixed = mixed[:count]
    rng.shuffle(mixed)
    for pair in range(count // 2):
        e, f = mixed[2 * pair], mixed[2 * pair + 1]
        if rng.random() >= h:
            continue
        a, b, c, d = u[e], v[e], u[f], v[f]
        inside = max(a, c) * n + min(a, c)
        outside = max(b, d) * n + min(b, d)
        if a == c or b == d or inside in existing or outside in existing:
            continue
        existing.discard(max(a, b) * n + min(a, b))
        existing.discard(max(c, d) * n + min(c, d))
        existing.add(inside)
        existing.add(outside)
        v[e] = c
        u[f] = b
    return u, v


def cascade_size(
    network: Network,
    transmission_prob: float,
    seeds: Sequence[int] | np.ndarray,
    rng: np.random.Generator,
) -> int:
    """Number of nodes reached by an independent cascade from ``seeds`` (seeds included).

    Every edge out of a newly reached node transmits once with probability
    ``transmission_prob``, so the reached set is the seeds' cluster in bond percolation
    with occupation probability T: a validation target with a known analytic answer.
    """
    if not _is_real(transmission_prob) or not 0 <= transmission_prob <= 1:
        raise ValueError(f"transmission_prob must be in [0, 1]; got {transmission_prob!r}")
    seeds = np.asarray(seeds, dtype=np.int64).ravel()
    if seeds.size and (seeds.min() < 0 or seeds.max() >= network.n):
        raise ValueError(f"seeds must be node ids in 0..{network.n - 1}")
    return int(_cascade(network.indptr, network.indices, float(transmission_prob), seeds, rng))


def _is_real(x: object) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)


def _from_edges(u: np.ndarray, v: np.ndarray, n: int) -> Network:
    """CSR from arbitrary endpoint arrays: one sort of canonical keys, then an O(E) fill."""
    keys = _edge_keys(np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64), n)
    keys.sort()
    return Network(*_csr_from_sorted_keys(keys, n))


@njit(cache=True)
def _edge_keys(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Order-free key hi*n + lo per edge, so sorting groups duplicates and orders rows."""
    keys = np.empty(u.size, np.int64)
    for e in range(u.size):
        keys[e] = max(u[e], v[e]) * n + min(u[e], v[e])
    return keys


@njit(cache=True)
def _csr_from_sorted_keys(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR from ascending keys hi*n + lo, skipping repeats and self-loops.

    Because keys are ordered by (hi, lo), row i receives its smaller neighbours (from edges
    with hi == i) in ascending order before any larger ones (hi > i, also ascending), so
    rows come out sorted without a per-row sort.
    """
    degree = np.zeros(n, np.int64)
    prev = -1
    for k in keys:
        if k != prev:
            prev = k
            hi, lo = divmod(k, n)
            if hi != lo:
                degree[hi] += 1
                degree[lo] += 1
    indptr = np.zeros(n + 1, np.int64)
    indptr[1:] = np.cumsum(degree)
    fill = indptr[:-1].copy()
    indices = np.empty(indptr[n], np.int32)
    prev = -1
    for k in keys:
        if k != prev:
            prev = k
            hi, lo = divmod(k, n)
            if hi != lo:
                indices[fill[hi]] = lo
                fill[hi] += 1
                indices[fill[lo]] = hi
                fill[lo] += 1
    return indptr, indices


@njit(cache=True)
def _small_world_edges(
    n: int, half: int, p: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Watts-Strogatz with networkx's rewiring rule, as one O(E) loop.

    Lattice edge e = (a, a+j) is stored at e = a*half + j-1. As in networkx, each edge's far
    end is rewired with probability p to a uniform node that is neither ``a`` nor already
    its neighbour (skipped when ``a`` is linked to everyone). Membership is O(1): a lattice
    pair is present unless rewired away, other pairs are looked up in a set of rewired keys.
    """
    n_edges = n * half
    src = np.empty(n_edges, np.int64)
    dst = np.empty(n_edges, np.int64)
    for a in range(n):
        for j in range(1, half + 1):
            src[a * half + j - 1] = a
            dst[a * half + j - 1] = (a + j) % n
    degree = np.full(n, 2 * half, np.int64)
    removed = np.zeros(n_edges, np.bool_)
    added = set()
    for j in range(1, half + 1):  # networkx order: by lattice distance, then node
        for a in range(n):
            if rng.random() >= p or degree[a] >= n - 1:
                continue
            while True:
                w = np.int64(int(rng.random() * n))
                if w == a:
                    continue
                d = (w - a) % n
                if d <= half:
                    lattice = not removed[a * half + d - 1]
                elif n - d <= half:
                    lattice = not removed[w * half + n - d - 1]
                else:
                    lattice = False
                if not lattice and max(a, w) * n + min(a, w) not in added:
                    break
            e = a * half + j - 1
            removed[e] = True
            degree[dst[e]] -= 1
            degree[w] += 1
            dst[e] = w
            added.add(max(a, w) * n + min(a, w))
    return src, dst


@njit(cache=True)
def _barabasi_albert_edges(
    n: int, m: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Preferential attachment via the repeated-nodes list: each node appears once per
    edge end, so a uniform pick from the list is a degree-proportional pick of a node."""
    n_edges = m + (n - m - 1) * m
    src = np.empty(n_edges, np.int32)
    dst = np.empty(n_edges, np.int32)
    repeated = np.empty(2 * n_edges, np.int32)
    e = 0
    for leaf in range(1, m + 1):  # initial star: centre 0, leaves 1..m
        src[e] = leaf
        dst[e] = 0
        repeated[2 * e] = 0
        repeated[2 * e + 1] = leaf
        e += 1
    targets = np.empty(m, np.int32)
    for node in range(m + 1, n):
        chosen = 0
        ends = 2 * e
        while chosen < m:
            t = repeated[int(rng.random() * ends)]
            fresh = True
            for j in range(chosen):
                if targets[j] == t:
                    fresh = False
                    break
            if fresh:
                targets[chosen] = t
                chosen += 1
        for j in range(m):
            src[e] = node
            dst[e] = targets[j]
            repeated[2 * e] = targets[j]
            repeated[2 * e + 1] = node
            e += 1
    return src, dst


@njit(cache=True)
def _erdos_renyi_keys(n: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """G(n, p) by geometric skips over the pairs (Batagelj & Brandes 2005): O(n + E).

    Pairs (v, w), w < v, are visited in (v, w) order, so the keys v*n + w come out sorted
    and unique, ready for the CSR fill without a sort.
    """
    expected = p * n * (n - 1) / 2
    keys = np.empty(int(expected + 10 * math.sqrt(expected) + 16), np.int64)
    log_q = math.log1p(-p)
    count = 0
    v = 1
    w = -1
    while v < n:
        w += 1 + math.floor(math.log1p(-rng.random()) / log_q)
        while w >= v and v < n:
            w -= v
            v += 1
        if v < n:
            if count == keys.size:
                grown = np.empty(2 * keys.size, np.int64)
                grown[:count] = keys
                keys = grown
            keys[count] = v * n + w
            count += 1
    return keys[:count].copy()


@njit(cache=True)
def _cascade(
    indptr: np.ndarray, indices: np.ndarray, t: float, seeds: np.ndarray, rng: np.random.Generator
) -> int:
    """Breadth-first independent cascade; each edge is tried at most once because the far
    node is only tried while it is still unreached."""
    n = indptr.size - 1
    reached = np.zeros(n, np.bool_)
    queue = np.empty(n, np.int64)
    tail = 0
    for s in seeds:
        if not reached[s]:
            reached[s] = True
            queue[tail] = s
            tail += 1
    head = 0
    while head < tail:
        node = queue[head]
        head += 1
        for k in range(indptr[node], indptr[node + 1]):
            other = indices[k]
            if not reached[other] and rng.random() < t:
                reached[other] = True
                queue[tail] = other
                tail += 1
    return tail


def _read_edge_list(path: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Endpoint arrays from an edge-list file: numpy's C parser for speed, falling back to
    a line-by-line parse that names the first bad line when anything looks wrong."""
    if not os.path.isfile(path):
        raise ConfigError(f"network.path: file not found: {path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            pairs = np.loadtxt(path, dtype=np.int64, comments="#", ndmin=2)
        if pairs.size == 0:
            pairs = pairs.reshape(0, 2)
    except ValueError:
        pairs = None
    suspect = pairs is None or pairs.shape[1] != 2
    if not suspect and pairs.size:
        suspect = pairs.min() < 0 or pairs.max() >= n
    if suspect:
        pairs = _parse_edge_lines(path, n)
    return pairs[:, 0], pairs[:, 1]


def _check_edge_list(path: str, u: np.ndarray, v: np.ndarray, n: int) -> None:
    """At least one usable edge; self-loops and duplicates are dropped with a warning that
    gives their count and the first line of each (ConfigError when nothing is left)."""
    loops = int(np.count_nonzero(u == v))
    keys = _edge_keys(u[u != v], v[u != v], n)
    usable = int(np.unique(keys).size)
    duplicates = int(keys.size) - usable
    if usable == 0:
        what = f"{u.size} edge lines, {loops} of them self-loops" if u.size else "no edge lines"
        raise ConfigError(
            f"network.path: {path} has no usable edge ({what}); an edge list needs at least "
            "one line 'u v' with two different node ids"
        )
    if loops or duplicates:
        first_loop, first_dup = _first_bad_lines(path)
        parts = []
        if loops:
            parts.append(f"{loops} self-loop(s) (first on line {first_loop})")
        if duplicates:
            parts.append(f"{duplicates} duplicate edge(s) (first on line {first_dup})")
        logging.getLogger("cxsim").warning(
            "network.path: %s: dropped %s; %d edges remain", path, " and ".join(parts), usable
        )


def _first_bad_lines(path: str) -> tuple[int | None, int | None]:
    """Line numbers of the first self-loop and the first duplicate (either direction)."""
    first_loop = first_dup = None
    seen = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, start=1):
            fields = line.split("#", 1)[0].split()
            if len(fields) != 2:
                continue
            a, b = int(fields[0]), int(fields[1])
            if a == b:
                first_loop = first_loop or lineno
            elif (min(a, b), max(a, b)) in seen:
                first_dup = first_dup or lineno
            seen.add((min(a, b), max(a, b)))
            if first_loop and first_dup:
                break
    return first_loop, first_dup


def _parse_edge_lines(path: str, n: int) -> np.ndarray:
    pairs = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, start=1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            shown = line.rstrip("\r\n")
            try:
                if len(fields) != 2:
                    raise ValueError
                u, v = int(fields[0]), int(fields[1])
            except ValueError:
                raise ConfigError(
                    f"network.path: line {lineno} of {path} is not an edge 'u v' of two "
                    f"integer node ids: {shown!r}"
                ) from None
            for node in (u, v):
                if not 0 <= node < n:
                    raise ConfigError(
                        f"network.path: line {lineno} of {path}: node id {node} is outside "
                        f"0..{n - 1} (population n={n}): {shown!r}"
                    )
            pairs.append((u, v))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)
