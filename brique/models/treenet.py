"""Recursive (tree) neural network (Pollack 1990; Socher et al. 2011): one shared brick
composes the vectors of a node's children into the node's vector, bottom-up, so the network
has the shape of each input tree (define-by-run: the graph is built per batch of trees).

    leaf d          -> E[d]
    (op, left, right) -> compose([h_left; h_right; O[op]])   (the same brick at every node)
    tree            -> classifier(h_root)

Nodes of the same height in every tree of the batch are composed in one call of the brick.
"""
from __future__ import annotations

from .. import creation, nn
from ..ops.movement import cat


class TreeNet(nn.Module):
    """Trees are ints (leaves, 0 .. n_leaves-1) or tuples (op, left, right) with op in `ops`.

    Shape: forward(list of N trees) -> logits (N, n_classes).
    """

    def __init__(self, n_leaves=10, ops=("+", "-", "*"), dim=64, hidden=128, n_classes=10):
        super().__init__()
        self.ops = {op: i for i, op in enumerate(ops)}
        self.leaf = nn.Embedding(n_leaves, dim)
        self.op = nn.Embedding(len(ops), dim)
        self.compose = nn.Sequential(nn.Linear(3 * dim, hidden), nn.ReLU(),
                                     nn.Linear(hidden, dim), nn.Tanh())
        self.classifier = nn.Linear(dim, n_classes)

    def _flatten(self, trees):
        """Post-order node list: (height, leaf value or op index, left id, right id)."""
        nodes, roots = [], []

        def visit(t):
            if isinstance(t, int):
                nodes.append((0, t, -1, -1))
            else:
                op, left, right = t
                if op not in self.ops:
                    raise ValueError(f"TreeNet: unknown operator {op!r}; known: "
                                     f"{list(self.ops)}")
                a, b = visit(left), visit(right)
                nodes.append((1 + max(nodes[a][0], nodes[b][0]), self.ops[op], a, b))
            return len(nodes) - 1
        for t in trees:
            roots.append(visit(t))
        return nodes, roots

    def encode(self, trees):
        """Root vectors (N, dim)."""
        nodes, roots = self._flatten(trees)
        height = max(n[0] for n in nodes)
        # row[i]: where node i's vector sits in `table` (the vectors made so far, by height).
        row, table = {}, []
        leaves = [i for i, n in enumerate(nodes) if n[0] == 0]
        table.append(self.leaf(creation.tensor([nodes[i][1] for i in leaves])))
        row.update({i: r for r, i in enumerate(leaves)})
        for h in range(1, height + 1):
            ids = [i for i, n in enumerate(nodes) if n[0] == h]
            made = cat(table, 0) if len(table) > 1 else table[0]
            left = made.index_select(0, creation.tensor([row[nodes[i][2]] for i in ids]))
            right = made.index_select(0, creation.tensor([row[nodes[i][3]] for i in ids]))
            ops = self.op(creation.tensor([nodes[i][1] for i in ids]))
            offset = made.shape[0]
            table.append(self.compose(cat([left, right, ops], 1)))
            row.update({i: offset + r for r, i in enumerate(ids)})
        made = cat(table, 0) if len(table) > 1 else table[0]
        return made.index_select(0, creation.tensor([row[r] for r in roots]))

    def forward(self, trees):
        return self.classifier(self.encode(trees))
