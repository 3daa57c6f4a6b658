"""Named random streams with common random numbers.

Every mechanism (journey, experience, churn, ...) draws from its own stream, and a
draw is a pure function of (run seed, stream, day, customer id, draw index): a
counter-based generator (SplitMix64's output function over a counter, Steele et
al. 2014). So a scenario that changes one mechanism, or the state of one customer,
leaves every other draw unchanged (common random numbers), the result does not
depend on the order in which customers are processed, and the kernels draw inside
numba without carrying generator state.
"""

import zlib

import numpy as np
from numba import int64, njit, uint64

STREAMS = (
    "population",  # initial heterogeneity of customers and prospects
    "acquisition",  # prospects adopting through advertising
    "winback",  # lapsed customers returning
    "journey",  # episode timing and touchpoint transitions
    "experience",  # perception noise at each visit
    "churn",  # daily churn draws
    "survey",  # invitations and responses
    "network",  # building the social network
    "word_of_mouth",  # whom a customer tells
    "reviews",  # who posts a public review
    "service",  # support callers: arrival time, service time, patience, resolution
    "heterogeneity",  # persistent differences: churn frailty, episode rate (sim.engine.state)
)

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_M1 = uint64(0xBF58476D1CE4E5B9)
_M2 = uint64(0x94D049BB133111EB)
_TWO_POW_53 = 1.0 / 9007199254740992.0


def stream_key(seed: int, name: str, replication: int = 0) -> np.uint64:
    """64-bit key of a named stream of one replication, spawned from the root seed.

    numpy's SeedSequence spawns (replication, stream name) children of the root seed, so
    replication r of a sweep has the same streams whichever worker runs it, and in
    whatever order; streams are found by name, not by order of creation.
    """
    if name not in STREAMS:
        raise KeyError(f"unknown random stream {name!r}; known streams: {', '.join(STREAMS)}")
    seq = np.random.SeedSequence(
        entropy=int(seed), spawn_key=(int(replication), zlib.crc32(name.encode()))
    )
    return seq.generate_state(1, np.uint64)[0]


def stream_generator(seed: int, name: str, replication: int = 0) -> np.random.Generator:
    """A numpy Generator on a named stream, for vectorised set-up draws."""
    return np.random.default_rng(stream_key(seed, name, replication))


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> uint64(30))) * _M1
    z = (z ^ (z >> uint64(27))) * _M2
    return z ^ (z >> uint64(31))


@njit(cache=True)
def day_key(key, day):
    """Key of one stream on one day; computed once per day, outside the customer loop."""
    return _mix(uint64(key) + uint64(day + 1) * _GOLDEN)


MAX_DRAWS = 4096  # draws per person, day and stream (draw index k < MAX_DRAWS)


@njit(cache=True, inline="always")
def uniform(dkey, i, k):
    """Uniform in [0, 1) for person i, draw k (0..4095) of a stream-day key."""
    counter = (uint64(i) << uint64(12)) | uint64(k)
    z = _mix(dkey + counter * _GOLDEN)
    return float(int64(z >> uint64(11))) * _TWO_POW_53  # via int64: converting uint64 is slow


@njit(cache=True, inline="always")
def normal(dkey, i, k):
    """Standard normal from draws k and k+1 (Box-Muller)."""
    u1 = 1.0 - uniform(dkey, i, k)  # in (0, 1]: log is finite
    u2 = uniform(dkey, i, k + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@njit(cache=True, inline="always")
def pick(cum, u):
    """Index of the first cumulative probability above u (a draw from a distribution)."""
    j = 0
    while u >= cum[j]:
        j += 1
    return j
