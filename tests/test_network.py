"""Tests for sim.mechanisms.network: graph generators, CSR storage, edge-list I/O and the
cascade helper."""

import math

import networkx as nx
import numpy as np
import pytest
from scipy.optimize import brentq

from sim.errors import ConfigError
from sim.mechanisms.network import (
    Network,
    _from_edges,
    _small_world_edges,
    build_network,
    cascade_size,
)

GENERATED = ("small_world", "scale_free", "random")


def _build(kind: str, n: int = 2000, mean_degree: float = 10, seed: int = 0, **kw) -> Network:
    return build_network(kind, n, mean_degree, np.random.default_rng(seed), **kw)


def _assert_simple_undirected(net: Network) -> None:
    n = net.n
    assert net.indptr.dtype == np.int64
    assert net.indices.dtype == np.int32
    assert net.indptr.size == n + 1
    assert np.all(np.diff(net.indptr) >= 0)
    rows = np.repeat(np.arange(n, dtype=np.int64), net.degree)
    assert np.all((net.indices >= 0) & (net.indices < n))
    assert not np.any(rows == net.indices), "self-loop"
    forward = rows * n + net.indices
    # Strictly increasing keys <=> rows sorted, neighbours sorted within rows, no duplicates.
    assert np.all(np.diff(forward) > 0), "unsorted or duplicate neighbours"
    backward = np.sort(net.indices.astype(np.int64) * n + rows)
    assert np.array_equal(forward, backward), "edge not stored in both directions"


@pytest.mark.parametrize("kind", GENERATED)
@pytest.mark.parametrize("rewire_prob", [0.0, 0.3, 1.0])
def test_csr_invariants(kind, rewire_prob):
    """Each generator gives a simple undirected graph: symmetric, no loops/repeats, rows sorted."""
    _assert_simple_undirected(_build(kind, n=500, mean_degree=6, rewire_prob=rewire_prob))


@pytest.mark.parametrize(
    ("kind", "tolerance"),
    [
        ("small_world", 0.0),  # rewiring moves edge ends, never adds or drops edges
        ("scale_free", 0.03),  # exactly 2m(n-m)/n = 9.975: the m+1-node seed star is sparser
        ("random", 0.5),  # edge count is binomial: sd of the mean degree is sqrt(2k/n) = 0.07
    ],
)
def test_mean_degree_matches_request(kind, tolerance):
    """The realised mean degree is the requested one, within each kind's stated tolerance."""
    net = _build(kind, n=2000, mean_degree=10)
    assert abs(net.mean_degree - 10) <= tolerance
    assert net.n_edges * 2 == net.indices.size == net.degree.sum()


@pytest.mark.parametrize(
    ("kind", "requested", "expected"),
    [
        ("small_world", 5, 6.0),
        ("small_world", 7.2, 8.0),
        ("small_world", 1, 2.0),
        ("scale_free", 5, 2 * 3 * (1000 - 3) / 1000),
    ],
)
def test_fractional_mean_degree_rounds_half_up(kind, requested, expected):
    """Lattice k and BA m need whole numbers: mean_degree/2 is rounded half-up, as documented."""
    assert _build(kind, n=1000, mean_degree=requested).mean_degree == pytest.approx(expected)


def test_scale_free_degree_distribution_is_heavy_tailed():
    """Preferential attachment makes hubs far above the mean; ER of equal density does not."""
    ba = _build("scale_free", n=5000, mean_degree=6)
    er = _build("random", n=5000, mean_degree=6)
    assert ba.degree.max() > 10 * ba.mean_degree
    assert er.degree.max() < 4 * er.mean_degree
    assert ba.degree.min() == 3  # every added node brings m = 3 edges


def test_small_world_without_rewiring_is_the_ring_lattice():
    """rewire_prob=0 gives the circulant ring (i linked to i±1..i±k/2 mod n) on the built
    positions, and build_network hands out the positions by a permutation: the graph is
    the ring relabelled."""
    n, k = 50, 6
    u, v = _small_world_edges(n, k // 2, 0.0, np.random.default_rng(0))
    ring = nx.circulant_graph(n, range(1, k // 2 + 1))
    lattice = Network.from_networkx(ring)
    built = _from_edges(u, v, n)
    assert np.array_equal(built.indptr, lattice.indptr)
    assert np.array_equal(built.indices, lattice.indices)
    net = _build("small_world", n=n, mean_degree=k, rewire_prob=0.0)
    assert not np.array_equal(net.indices, lattice.indices)  # people are not in id order
    assert nx.is_isomorphic(net.to_networkx(), ring)


def test_small_world_rewires_the_requested_share_of_edges():
    """About rewire_prob of lattice edges end up elsewhere (sd here 0.003, tolerance 0.015)."""
    n, k, p = 2000, 10, 0.1
    u, v = _small_world_edges(n, k // 2, p, np.random.default_rng(0))
    u, v = _from_edges(u, v, n).edges().T
    distance = np.minimum(v - u, n - (v - u))
    off_lattice = np.mean(distance > k // 2)
    assert off_lattice == pytest.approx(p, abs=0.015)
    assert nx.is_connected(_build("small_world", n=n, mean_degree=k, rewire_prob=p).to_networkx())


@pytest.mark.parametrize("kind", GENERATED)
def test_same_seed_gives_identical_arrays(kind):
    """Reproducibility: the same seed rebuilds the same network; another seed gives another one."""
    a, b = _build(kind, seed=42), _build(kind, seed=42)
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    c = _build(kind, seed=43)
    assert not np.array_equal(a.indices, c.indices)


@pytest.mark.parametrize("kind", GENERATED)
def test_networkx_round_trip(kind):
    """to_networkx and from_networkx preserve nodes (isolated ones too) and edges exactly."""
    net = _build(kind, n=300, mean_degree=4)
    g = net.to_networkx()
    assert g.number_of_nodes() == net.n
    assert g.number_of_edges() == net.n_edges
    back = Network.from_networkx(g)
    assert np.array_equal(back.indptr, net.indptr)
    assert np.array_equal(back.indices, net.indices)


def test_from_networkx_matches_networkx_degrees_and_simplifies():
    """networkx graphs convert with the same degrees; direction, multi-edges and loops go."""
    karate = nx.karate_club_graph()
    net = Network.from_networkx(karate)
    assert net.degree.tolist() == [d for _, d in sorted(karate.degree())]
    multi = nx.MultiDiGraph([(0, 1), (1, 0), (0, 1), (2, 2)])
    simple = Network.from_networkx(multi)
    assert simple.n == 3
    assert simple.degree.tolist() == [1, 1, 0]


def test_from_networkx_rejects_non_integer_labels():
    """Node ids are array positions, so labels other than 0..n-1 are refused instead of guessed."""
    with pytest.raises(ValueError, match=r"nodes must be the integers 0\.\.2"):
        Network.from_networkx(nx.path_graph(["a", "b", "c"]))


def test_neighbours_is_a_read_only_view():
    """neighbours(i) exposes row i without copying and cannot corrupt the shared CSR."""
    net = _build("random", n=100, mean_degree=5)
    row = net.neighbours(3)
    assert row.base is not None
    with pytest.raises(ValueError, match="read-only"):
        row[:] = 0
    with pytest.raises(IndexError, match="outside"):
        net.neighbours(100)


@pytest.mark.parametrize("kind", GENERATED)
def test_edge_list_save_load_round_trip(tmp_path, kind):
    """save_edgelist writes a file that build_network('edge_list') reads back identically."""
    net = _build(kind, n=400, mean_degree=6)
    path = tmp_path / "net.txt"
    net.save_edgelist(path)
    back = build_network("edge_list", net.n, 6, np.random.default_rng(0), path=str(path))
    assert np.array_equal(back.indptr, net.indptr)
    assert np.array_equal(back.indices, net.indices)


def test_save_edgelist_is_atomic_replace(tmp_path):
    """Saving over an existing file replaces it whole and leaves no temporary file behind."""
    path = tmp_path / "net.txt"
    path.write_text("stale content\n")
    net = _build("random", n=50, mean_degree=4)
    net.save_edgelist(path)
    assert [p.name for p in tmp_path.iterdir()] == ["net.txt"]
    assert path.read_text().startswith("# undirected edge list: n=50")


def test_edge_list_tolerates_comments_blanks_and_duplicates(tmp_path):
    """Comments, blanks, tabs, reversed/duplicate edges and self-loops load as a simple graph."""
    path = tmp_path / "edges.txt"
    path.write_text("# header\n\n0 1\n1\t2  # inline comment\n   \n1 0\n0 1\n3 3\n2 4\n")
    net = build_network("edge_list", 6, 2, np.random.default_rng(0), path=path)
    _assert_simple_undirected(net)
    assert net.n_edges == 3
    assert net.degree.tolist() == [1, 2, 2, 0, 1, 0]  # nodes 3 and 5 stay isolated


def test_empty_edge_list_is_rejected(tmp_path):
    """A file with only comments has no usable edge: rejected, naming the file."""
    path = tmp_path / "empty.txt"
    path.write_text("# nobody knows anybody\n")
    with pytest.raises(ConfigError, match=r"network.path: .*empty.txt has no usable edge"):
        build_network("edge_list", 4, 2, np.random.default_rng(0), path=path)


def test_unknown_kind_lists_allowed_kinds():
    """A typo in network.kind names the key, the allowed kinds and the bad value."""
    msg = (
        r"network\.kind must be one of small_world, scale_free, random, edge_list; got 'smallworld'"
    )
    with pytest.raises(ConfigError, match=msg):
        _build("smallworld")


@pytest.mark.parametrize("kind", GENERATED)
@pytest.mark.parametrize("mean_degree", [0, -2, 99, 150, float("nan"), "10"])
def test_mean_degree_outside_range_is_rejected(kind, mean_degree):
    """mean_degree must lie in (0, n-1); the message gives the key and the population size."""
    with pytest.raises(
        ConfigError, match=r"network\.mean_degree must be .* below the population n=100"
    ):
        _build(kind, n=100, mean_degree=mean_degree)


@pytest.mark.parametrize("kind", ["small_world", "scale_free"])
def test_mean_degree_below_one_is_rejected_for_lattice_and_ba(kind):
    """Ring lattice and BA need at least one whole neighbour pair per node."""
    with pytest.raises(ConfigError, match=rf"network\.mean_degree must be at least 1 .*{kind}"):
        _build(kind, n=100, mean_degree=0.5)


@pytest.mark.parametrize("rewire_prob", [-0.1, 1.5, float("nan")])
def test_rewire_prob_outside_unit_interval_is_rejected(rewire_prob):
    """rewire_prob is a probability; the message names network.rewire_prob and [0, 1]."""
    with pytest.raises(
        ConfigError, match=r"network\.rewire_prob must be a probability in \[0, 1\]"
    ):
        _build("small_world", n=100, mean_degree=4, rewire_prob=rewire_prob)


@pytest.mark.parametrize("n", [0, -5, 2.5, True])
def test_bad_population_size_is_rejected(n):
    """n must be a positive integer that fits the int32 neighbour ids."""
    with pytest.raises(ConfigError, match=r"population size n must be an integer"):
        _build("random", n=n, mean_degree=1)


def test_edge_list_needs_a_path():
    """kind=edge_list without network.path says which key is missing."""
    with pytest.raises(ConfigError, match=r"network\.path is required"):
        build_network("edge_list", 10, 2, np.random.default_rng(0))


def test_missing_edge_list_file(tmp_path):
    """A missing file is reported under network.path with the path itself."""
    missing = tmp_path / "nope.txt"
    with pytest.raises(ConfigError, match=r"network\.path: file not found: .*nope\.txt"):
        build_network("edge_list", 10, 2, np.random.default_rng(0), path=missing)


@pytest.mark.parametrize(
    ("content", "lineno", "shown"),
    [
        ("0 1\n# ok\n2 x\n", 3, "2 x"),
        ("0 1\n0 1 2\n", 2, "0 1 2"),
        ("5\n", 1, "5"),
        ("\n1.5 2\n", 2, "1.5 2"),
        ("0,1\n", 1, "0,1"),
    ],
)
def test_malformed_edge_list_line(tmp_path, content, lineno, shown):
    """A line that is not two integers is reported with its line number and content."""
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(
        ConfigError, match=rf"network\.path: line {lineno} of .* two integer node ids: '{shown}'"
    ):
        build_network("edge_list", 10, 2, np.random.default_rng(0), path=path)


@pytest.mark.parametrize(
    ("content", "lineno", "node"),
    [
        ("0 1\n1 10\n", 2, 10),
        ("# c\n-1 3\n", 2, -1),
        ("0 1\n\n2 3\n4 99999999999999999999\n", 4, 99999999999999999999),
    ],
)
def test_edge_list_id_out_of_range(tmp_path, content, lineno, node):
    """Node ids outside 0..n-1 are reported with the line number, the id and the population."""
    path = tmp_path / "range.txt"
    path.write_text(content)
    with pytest.raises(
        ConfigError,
        match=rf"network\.path: line {lineno} of .*: node id {node} is outside 0\.\.9 \(population",
    ):
        build_network("edge_list", 10, 2, np.random.default_rng(0), path=path)


def test_cascade_extremes():
    """T=0 reaches only the (deduplicated) seeds; T=1 reaches exactly the seeds' components."""
    net = _build("random", n=500, mean_degree=1.5, seed=3)
    rng = np.random.default_rng(0)
    assert cascade_size(net, 0.0, [4, 4, 7], rng) == 2
    g = net.to_networkx()
    component = nx.node_connected_component(g, 4) | nx.node_connected_component(g, 7)
    assert cascade_size(net, 1.0, [4, 7], rng) == len(component)


def test_cascade_rejects_bad_arguments():
    """transmission_prob outside [0, 1] and seeds outside 0..n-1 are errors, not garbage."""
    net = _build("random", n=20, mean_degree=2)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"transmission_prob must be in \[0, 1\]"):
        cascade_size(net, 1.2, [0], rng)
    with pytest.raises(ValueError, match=r"seeds must be node ids in 0\.\.19"):
        cascade_size(net, 0.5, [20], rng)


@pytest.mark.parametrize("transmission_prob", [0.5, 0.75])
def test_supercritical_outbreak_matches_newman_percolation(transmission_prob):
    """Newman (2002): on ER(k) with T > 1/k a large outbreak covers S = 1 - exp(-k T S) of n."""
    n, k = 20000, 4
    net = _build("random", n=n, mean_degree=k, seed=7)
    rng = np.random.default_rng(11)
    sizes = np.array(
        [cascade_size(net, transmission_prob, [s], rng) for s in rng.integers(0, n, 30)]
    )
    took_off = sizes[sizes > 0.05 * n]  # small outbreaks stay O(10) nodes, giant ones O(n)
    assert took_off.size >= 10
    theory = brentq(lambda s: s - 1 + math.exp(-k * transmission_prob * s), 1e-9, 1.0)
    # 0.015: over 20 graphs the mean share of >= 10 outbreaks deviated from S by sd 0.003
    # (max 0.007) at n=20000 - finite-size spread of one graph - so this is a ~5 sd margin.
    assert took_off.mean() / n == pytest.approx(theory, abs=0.015)


def test_subcritical_cascades_stay_small():
    """Below the threshold (T = 0.5/k) no cascade reaches even 1% of the market."""
    n, k = 20000, 4
    net = _build("random", n=n, mean_degree=k, seed=7)
    rng = np.random.default_rng(12)
    sizes = [cascade_size(net, 0.5 / k, [s], rng) for s in rng.integers(0, n, 30)]
    assert max(sizes) < 0.01 * n


def _customer_tie_share_to_others(net: Network, customers: np.ndarray) -> tuple[float, int]:
    """Share of customers' tie ends that reach non-customers, and the number of tie ends."""
    rows = np.repeat(np.arange(net.n), net.degree)
    ends = net.indices[customers[rows]]
    return float((~customers[ends]).mean()), ends.size


@pytest.mark.parametrize("kind", GENERATED)
def test_customers_ties_reach_prospects_in_proportion_to_the_market(kind):
    """With people at random positions, a customer's neighbour is a random other person:
    the share of customers' ties to prospects is the prospects' share of the others,
    P/(n-1), within 4 binomial standard errors sqrt(q(1-q)/m). A tie's ends are not
    independent draws (all of a hub's ties share its group), so m is Kish's effective
    number of people (sum d)^2 / sum d^2: n for a regular graph, less for scale-free.
    Customers are ids 0..C-1, the layout that gave only 5% of ties to prospects before
    positions were permuted."""
    n, customers = 10_000, 3_000
    is_customer = np.arange(n) < customers
    net = _build(kind, n=n, mean_degree=10, seed=5)
    share, _ = _customer_tie_share_to_others(net, is_customer)
    q = (n - customers) / (n - 1)
    degree = net.degree.astype(float)
    effective = degree.sum() ** 2 / (degree**2).sum()
    assert abs(share - q) < 4 * math.sqrt(q * (1 - q) / effective)
    # scale-free hubs are not the customers either: their mean degree is the market's
    se = degree.std() * math.sqrt(1 / customers + 1 / (n - customers))
    assert abs(degree[is_customer].mean() - degree[~is_customer].mean()) < 4 * se


@pytest.mark.parametrize("kind", GENERATED)
@pytest.mark.parametrize("homophily", [0.3, 0.8])
def test_homophily_clusters_customers_as_documented(kind, homophily):
    """network.homophily h rewires a share h of the customer-prospect ties into
    customer-customer and prospect-prospect ones: the share of customers' ties to
    prospects falls to (1 - h) x P/(n-1), within 4 binomial standard errors plus the few
    swaps skipped because they would repeat a tie (< 0.5% of them at this density);
    every person keeps their degree."""
    n, customers = 10_000, 3_000
    is_customer = np.arange(n) < customers
    plain = _build(kind, n=n, mean_degree=10, seed=5)
    net = _build(kind, n=n, mean_degree=10, seed=5, homophily=homophily, groups=is_customer)
    _assert_simple_undirected(net)
    assert np.array_equal(net.degree, plain.degree)
    share, _ = _customer_tie_share_to_others(net, is_customer)
    q = (1 - homophily) * (n - customers) / (n - 1)
    degree = net.degree.astype(float)
    effective = degree.sum() ** 2 / (degree**2).sum()  # Kish, as in the test above
    assert abs(share - q) < 4 * math.sqrt(q * (1 - q) / effective) + 0.005 * homophily


def test_homophily_is_checked():
    with pytest.raises(ConfigError, match=r"network.homophily must be a number in \[0, 1\]"):
        _build("random", n=100, homophily=1.5, groups=np.ones(100, bool))


def test_homophily_in_the_model_clusters_customers(cfg):
    """The model's network.homophily clusters the day-0 customers (ids 0..C-1)."""
    from sim.engine.model import CXModel

    cfg["network"]["homophily"] = 0.5
    model = CXModel(cfg)
    is_customer = np.arange(model.n_people) < cfg["population"]["customers"]
    share, _ = _customer_tie_share_to_others(model.network, is_customer)
    others = model.n_people - cfg["population"]["customers"]  # prospects and lapsed
    q = 0.5 * others / (model.n_people - 1)
    assert abs(share - q) < 4 * math.sqrt(q * (1 - q) / model.n_people) + 0.005
