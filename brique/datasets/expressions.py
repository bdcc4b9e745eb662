"""Arithmetic expression trees and their values, for recursive (tree) networks: no download.

A tree is a digit 0-9 (a leaf) or a tuple (op, left, right) with op in '+', '-', '*'; its
value is computed modulo `modulus` (10 by default, so that every value is again a digit and
a class). `depth` counts operators on the longest root-to-leaf path (a digit has depth 0).

    ('+', 3, ('*', 4, 2))   ->  "( 3 + ( 4 * 2 ) )"   ->  value 1 (11 mod 10)
"""
from __future__ import annotations

import numpy as np

OPS = ("+", "-", "*")
TOKENS = [str(d) for d in range(10)] + list(OPS) + ["(", ")"]


def evaluate(tree, modulus=10):
    if isinstance(tree, int):
        return tree % modulus
    op, left, right = tree
    a, b = evaluate(left, modulus), evaluate(right, modulus)
    return (a + b if op == "+" else a - b if op == "-" else a * b) % modulus


def depth(tree):
    return 0 if isinstance(tree, int) else 1 + max(depth(tree[1]), depth(tree[2]))


def random_tree(d, rng, ops=OPS):
    """A random tree of depth exactly d: one child carries the depth, the other is drawn
    with a depth below it."""
    if d == 0:
        return int(rng.integers(10))
    deep = random_tree(d - 1, rng, ops)
    other = random_tree(int(rng.integers(0, d)), rng, ops)
    op = ops[int(rng.integers(len(ops)))]
    return (op, deep, other) if rng.random() < 0.5 else (op, other, deep)


def expression_trees(n, depths=(1, 2, 3), seed=0, modulus=10, ops=OPS):
    """n (tree, value) pairs, depths drawn uniformly from `depths`, operators from `ops`
    (with '*' deep trees are more often 0 mod 10; ('+', '-') keeps the values uniform)."""
    if n < 0 or not depths or min(depths) < 0:
        raise ValueError(f"expression_trees: need n >= 0 and depths >= 0, got n={n}, "
                         f"depths={depths}")
    rng = np.random.default_rng(seed)
    depths = list(depths)
    trees = [random_tree(depths[int(rng.integers(len(depths)))], rng, ops) for _ in range(n)]
    return [(t, evaluate(t, modulus)) for t in trees]


def to_tokens(tree):
    """The fully parenthesised infix form, one token per symbol."""
    if isinstance(tree, int):
        return [str(tree)]
    op, left, right = tree
    return ["("] + to_tokens(left) + [op] + to_tokens(right) + [")"]


def encode_tokens(trees):
    """Token indices (into TOKENS, +1 so that 0 pads), padded: int64 (n, longest)."""
    index = {t: i + 1 for i, t in enumerate(TOKENS)}
    rows = [[index[t] for t in to_tokens(tree)] for tree in trees]
    out = np.zeros((len(rows), max(map(len, rows))), dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out
