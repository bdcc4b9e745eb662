"""brique.func against torch.func on the same functions and inputs (grad, grad_and_value,
vmap and their nesting, functional_call and the per-sample-gradient recipe, jacrev/jacfwd,
hessian, vjp, jvp); torch.histogram; the jit and cuda.amp spellings scripts use."""
import numpy as np
import pytest
import torch
import torch.func as tfunc

import brique
import brique.func as bfunc

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3))
W = RNG.standard_normal((3, 2))


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _close(a, b):
    for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        np.testing.assert_allclose(_np(x), _np(y), rtol=1e-10, atol=1e-12)


def f(lib):
    return lambda x, w: (lib.tanh(x @ w) ** 2).sum()


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_grad_and_grad_and_value(argnums):
    ours = bfunc.grad_and_value(f(brique), argnums)(brique.tensor(X), brique.tensor(W))
    ref = tfunc.grad_and_value(f(torch), argnums)(torch.tensor(X), torch.tensor(W))
    _close(ours[0], ref[0])
    _close(ours[1], ref[1])


def test_grad_with_aux_and_second_derivative():
    def g(lib):
        return lambda x: ((x ** 3).sum(), x.sum())
    ours, aux = bfunc.grad(g(brique), has_aux=True)(brique.tensor(X))
    ref, ref_aux = tfunc.grad(g(torch), has_aux=True)(torch.tensor(X))
    _close(ours, ref)
    _close(aux, ref_aux)
    second = bfunc.grad(lambda x: bfunc.grad(lambda y: (y ** 3).sum())(x).sum())
    _close(second(brique.tensor(X)), 6 * torch.tensor(X))


@pytest.mark.parametrize("in_dims,out_dims", [(0, 0), ((1, None), 1), ((0, None), 0)])
def test_vmap_matches_torch(in_dims, out_dims):
    b = {0: X[:, 0], (1, None): X[:, 0], (0, None): X[0]}[in_dims]
    args = lambda lib: (lib.tensor(X), lib.tensor(b))  # noqa: E731
    fn = lambda lib: lambda a, b: (lib.sin(a) * b).sum() + a  # noqa: E731
    ours = bfunc.vmap(fn(brique), in_dims, out_dims)(*args(brique))
    ref = tfunc.vmap(fn(torch), in_dims, out_dims)(*args(torch))
    _close(ours, ref)


def test_vmap_of_tuple_outputs_and_bad_sizes():
    ours = brique.vmap(lambda a: (a.sum(), a * 2))(brique.tensor(X))
    ref = torch.vmap(lambda a: (a.sum(), a * 2))(torch.tensor(X))
    _close(ours, ref)
    with pytest.raises(ValueError, match=r"same size.*\[3, 4\]"):
        brique.vmap(lambda a, b: a + b, (0, 0))(brique.tensor(X), brique.tensor(W))


def test_per_sample_gradients_with_functional_call():
    torch.manual_seed(0)
    ref_model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(),
                                    torch.nn.Linear(5, 2)).double()
    model = brique.nn.Sequential(brique.nn.Linear(3, 5), brique.nn.Tanh(),
                                 brique.nn.Linear(5, 2)).double()
    model.load_state_dict({k: brique.tensor(v.detach().numpy())
                           for k, v in ref_model.state_dict().items()})
    y = RNG.integers(0, 2, 4)

    def per_sample(lib, func, m):
        params = {k: v.detach() for k, v in m.named_parameters()}

        def loss(p, xi, yi):
            out = func.functional_call(m, p, (xi.unsqueeze(0),))
            return lib.nn.functional.cross_entropy(out, yi.unsqueeze(0))
        return func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, lib.tensor(X),
                                                                 lib.tensor(y))
    ours, ref = per_sample(brique, bfunc, model), per_sample(torch, tfunc, ref_model)
    assert set(ours) == set(ref)
    for k in ref:
        assert tuple(ours[k].shape) == (4,) + tuple(ref_model.state_dict()[k].shape)
        _close(ours[k], ref[k])
    assert model[0].weight.requires_grad  # the module's own parameters are back


def test_functional_call_rejects_unknown_names():
    with pytest.raises(ValueError, match="unexpected key"):
        bfunc.functional_call(brique.nn.Linear(2, 2), {"weights": brique.zeros(2, 2)},
                              (brique.zeros(1, 2),))


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
def test_jacobians_and_hessian(name):
    fn = lambda lib: lambda x, w: lib.tanh(x @ w)  # noqa: E731
    _close(getattr(bfunc, name)(fn(brique), argnums=(0, 1))(brique.tensor(X), brique.tensor(W)),
           getattr(tfunc, name)(fn(torch), argnums=(0, 1))(torch.tensor(X), torch.tensor(W)))
    h = lambda lib: lambda x: (lib.sin(x) ** 2).sum()  # noqa: E731
    _close(bfunc.hessian(h(brique))(brique.tensor(X[0])), tfunc.hessian(h(torch))(
        torch.tensor(X[0])))


def test_vjp_and_jvp():
    fn = lambda lib: lambda x: lib.sin(x) * x  # noqa: E731
    v = RNG.standard_normal(X.shape)
    out, vjp_fn = bfunc.vjp(fn(brique), brique.tensor(X))
    ref_out, ref_fn = tfunc.vjp(fn(torch), torch.tensor(X))
    _close(out, ref_out)
    _close(vjp_fn(brique.tensor(v)), ref_fn(torch.tensor(v)))
    _close(bfunc.jvp(fn(brique), (brique.tensor(X),), (brique.tensor(v),)),
           tfunc.jvp(fn(torch), (torch.tensor(X),), (torch.tensor(v),)))


@pytest.mark.parametrize("bins,kw", [(4, {}), (3, {"range": (0.0, 3.0)}),
                                     (3, {"range": (0.0, 3.0), "density": True}),
                                     ("edges", {"density": True})])
def test_histogram_matches_torch(bins, kw):
    x = RNG.standard_normal(50).astype(np.float32)
    w = RNG.random(50).astype(np.float32)

    def run(lib):
        b = lib.tensor([-2.0, 0.0, 0.5, 3.0]) if bins == "edges" else bins
        return lib.histogram(lib.tensor(x), b, weight=lib.tensor(w), **kw)
    ours, ref = run(brique), run(torch)
    np.testing.assert_allclose(ours.hist.numpy(), ref.hist.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.bin_edges.numpy(), ref.bin_edges.numpy(), atol=1e-6)


def test_jit_and_cuda_amp_spellings_run_eagerly():
    model = brique.nn.Linear(2, 2)
    assert brique.jit.script(model) is model
    assert brique.jit.trace(model, brique.zeros(1, 2)) is model

    @brique.jit.ignore(drop=True)
    def helper(x):
        return x + 1
    assert helper(1) == 2
    scaler = brique.cuda.amp.GradScaler()
    with brique.cuda.amp.autocast(enabled=False):
        loss = model(brique.ones(1, 2)).sum()
    scaler.scale(loss).backward()
    assert model.weight.grad is not None
