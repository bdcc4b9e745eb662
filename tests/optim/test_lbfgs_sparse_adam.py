"""The optimizers that are not a per-parameter rule of the base class, against torch.optim:
L-BFGS (its own step, with and without the strong-Wolfe line search) and SparseAdam (rows of
an embedding)."""
import numpy as np
import pytest

import brique
import brique.nn as nn
import brique.optim as optim

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(1)
X = RNG.standard_normal((20, 4))
Y = RNG.standard_normal((20, 2))
INIT = [RNG.standard_normal((4, 6)) * 0.5, RNG.standard_normal(6) * 0.1,
        RNG.standard_normal((6, 2)) * 0.5]


def lbfgs_run(lib, steps, **kwargs):
    params = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in INIT]
    opt = getattr(lib.optim, "LBFGS")(params, **kwargs)
    x, y = lib.tensor(X, dtype=lib.float64), lib.tensor(Y, dtype=lib.float64)
    calls = [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        w1, b1, w2 = params
        loss = ((x @ w1 + b1).tanh() @ w2 - y).pow(2).mean()
        loss.backward()
        return loss
    trace = []
    for _ in range(steps):
        loss = opt.step(closure)
        trace.append((loss.item(), [p.detach().numpy().copy() for p in params], calls[0]))
    state = opt.state[params[0]]
    return trace, (state["func_evals"], state["n_iter"])


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(lr=0.5, max_iter=7, history_size=3),
    # the line search branches on comparisons: over many iterations rounding differences between
    # the two libraries' forward passes grow (1e-14 -> 1e-6 after ~60), so keep runs short
    dict(max_iter=5, line_search_fn="strong_wolfe"),
    dict(lr=0.8, max_iter=5, history_size=3, line_search_fn="strong_wolfe"),
], ids=["fixed-step", "short-history", "strong-wolfe", "strong-wolfe-short-history"])
def test_lbfgs_matches_torch(kwargs):
    ours, our_counts = lbfgs_run(brique, 4, **kwargs)
    theirs, their_counts = lbfgs_run(torch, 4, **kwargs)
    for (loss, params, calls), (t_loss, t_params, t_calls) in zip(ours, theirs):
        assert calls == t_calls  # the same number of closure evaluations
        np.testing.assert_allclose(loss, t_loss, rtol=1e-6)
        for a, b in zip(params, t_params):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-10)
    assert our_counts == their_counts
    assert ours[-1][0] < 0.5 * ours[0][0]  # it did descend


def test_lbfgs_minimises_rosenbrock_and_checks_its_arguments():
    xy = brique.tensor([-1.5, 2.0], dtype=brique.float64, requires_grad=True)
    opt = optim.LBFGS([xy], lr=1, max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2
        loss.backward()
        return loss
    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(xy.detach().numpy(), [1.0, 1.0], atol=1e-5)
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([xy], line_search_fn="armijo")
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [xy]}, {"params": [brique.zeros(1, requires_grad=True)]}])


def test_sparse_adam_matches_torch_on_embedding_rows():
    weight = RNG.standard_normal((10, 3))
    ours = nn.Embedding(10, 3, sparse=True)
    theirs = torch.nn.Embedding(10, 3, sparse=True).double()
    ours.weight.data = brique.tensor(weight, dtype=brique.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(weight))
    b_opt = optim.SparseAdam(ours.parameters(), lr=0.05, betas=(0.8, 0.95))
    t_opt = torch.optim.SparseAdam(theirs.parameters(), lr=0.05, betas=(0.8, 0.95))
    target = RNG.standard_normal(3)
    for step in range(8):
        rows = [step % 10, (3 * step + 1) % 10, 7]
        for lib, layer, opt in ((brique, ours, b_opt), (torch, theirs, t_opt)):
            opt.zero_grad()
            out = layer(lib.tensor(rows))
            ((out - lib.tensor(target, dtype=lib.float64)) ** 2).sum().backward()
            opt.step()
        np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                                   rtol=1e-6, atol=1e-12)
    assert b_opt.state[ours.weight]["step"] == t_opt.state[theirs.weight]["step"] == 8
    untouched = [r for r in range(10) if r not in {s % 10 for s in range(8)} |
                 {(3 * s + 1) % 10 for s in range(8)} | {7}]
    np.testing.assert_array_equal(ours.weight.detach().numpy()[untouched], weight[untouched])
