"""Pair codes: the candidate union keeps each pair once, whichever way round, and drops self-pairs and the
pairs the source graph already relates."""

import numpy as np

from sb_pipeline.knowledge_graph.pairs import member, new_pairs, unordered_pairs


def test_the_union_keeps_each_new_pair_once():
    admitted = {"similarity": unordered_pairs(np.array([0, 2, 3, 1]), np.array([1, 0, 3, 0])),
                "name": unordered_pairs(np.array([4, 2]), np.array([2, 1]))}
    a, b = new_pairs(admitted, 5, (np.array([1]), np.array([2])))  # the source already relates 1 and 2
    assert list(zip(a.tolist(), b.tolist())) == [(0, 1), (0, 2), (2, 4)]


def test_membership_is_order_free():
    pairs = unordered_pairs(np.array([3, 0]), np.array([1, 2]))
    assert member(np.array([1, 0, 0]), np.array([3, 2, 3]), pairs, 4).tolist() == [True, True, False]
