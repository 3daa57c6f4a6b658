"""Word of mouth: after an episode, the delighted tell a few, the pained tell many.

"A satisfied customer tells 1 person, a dissatisfied one tells 10" (seed 001; the folk
rule, `configs/word_of_mouth/folk.yaml`). East, Hammond & Wright (2007) found positive
word of mouth about three times as common as negative (`evidence.yaml`). Messages travel
over the social network (sim.mechanisms.network) or, with weak ties, to anybody in the market. They
are heard the same evening: the hearer's attitude shifts (for a prospect, that is purchase
intent) and a prospect's expectations shift; each positive message a prospect heard
is an independent chance q of turning them into a customer the next morning (a referral,
Bass's q): with advertising p, P(adopt) = 1 - (1 - p)(1 - q)^H for H messages.

Public reviews are the zero moment of truth: a share of finished episodes posts a 1-5
star rating, and prospects read the running average before buying.
"""

import math

import numpy as np
from numba import njit

from sim.config.schema import MAX_CONTACTS
from sim.rng import MAX_DRAWS, uniform

# draws of the word_of_mouth stream per message: weak tie?, whom (graph), whom (market)
DRAWS_PER_MESSAGE = 3
assert MAX_CONTACTS * DRAWS_PER_MESSAGE <= MAX_DRAWS  # every message's draws fit in a day's stream


@njit(cache=True)
def contacts(i, n_messages, key, indptr, indices, fully_mixed, weak_tie_share, n_people,
             chosen, targets):
    """Whom person i tells when telling n_messages people; returns how many were told.

    The people told are written to targets[:count]. Contacts are distinct neighbours,
    drawn by Floyd's algorithm (exactly one draw each); a customer with fewer neighbours
    tells all of them. Each message goes instead to a uniformly drawn person in the market
    with probability weak_tie_share (always, when the market is fully mixed). `chosen` and
    `targets` are scratch space of at least n_messages entries.
    """
    if fully_mixed:
        degree = 0
    else:
        start = indptr[i]
        degree = indptr[i + 1] - start
    n_graph = min(n_messages, degree)
    # Floyd's algorithm: n_graph distinct offsets into the neighbour list
    for m in range(n_graph):
        j = degree - n_graph + m
        t = int(uniform(key, i, DRAWS_PER_MESSAGE * m + 1) * (j + 1))
        for q in range(m):
            if chosen[q] == t:
                t = j
                break
        chosen[m] = t
    sent = 0
    for m in range(n_messages):
        if fully_mixed or uniform(key, i, DRAWS_PER_MESSAGE * m) < weak_tie_share:
            targets[sent] = int(uniform(key, i, DRAWS_PER_MESSAGE * m + 2) * n_people)
        elif m < n_graph:
            targets[sent] = indices[start + chosen[m]]
        else:
            continue  # fewer contacts than messages: everybody has been told
        sent += 1
    return sent


@njit(cache=True, inline="always")
def stars(score: float) -> int:
    """A 1-5 star rating of an episode remembered as `score`, one star per unit: the public
    review's stars, and the episode's answer to a 1-5 satisfaction question (CSAT).

    An episode just as expected (score 0) gets 4 stars, the online norm: ratings are
    J-shaped with most reviews at 4-5 stars (Hu, Pavlou & Zhang 2009).
    """
    return int(min(5.0, max(1.0, math.floor(4.0 + score + 0.5))))


def review_factor(average: float, neutral: float, sensitivity: float) -> float:
    """How the review average multiplies prospects' chance of buying (1 at neutral)."""
    return float(np.exp(sensitivity * (average - neutral)))
