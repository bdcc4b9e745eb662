"""brique.autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) against
torch.autograd.functional, and brique.autograd.gradcheck / gradgradcheck, which must pass
correct gradients and catch a custom Function with a wrong backward."""
import numpy as np
import pytest

import brique
from brique.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

torch = pytest.importorskip("torch")
TF = torch.autograd.functional

X = np.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]])
Y = np.array([0.2, -0.4, 1.1])


def pair(values):
    return brique.tensor(values, dtype=brique.float64), torch.tensor(values, dtype=torch.float64)


def check(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            check(o, t)
        return
    assert isinstance(ours, brique.Tensor)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                               atol=1e-12)


def f_single(lib):
    return lambda x: (x.sin() * x).sum(1) + x[:, 0] ** 2


def f_pair(lib):
    return lambda x, y: ((x * y).tanh().sum(), (x ** 2 + y).exp())


def f_scalar(lib):
    return lambda x: (x ** 3).sum() + (x[0] * x[1]).sum()


def f_scalar2(lib):
    return lambda x, y: (x * y.sin()).sum() * (y ** 2).sum()


def test_jacobian_shapes_and_values_match_torch():
    (bx, tx), (by, ty) = pair(X), pair(Y)
    check(jacobian(f_single(brique), bx), TF.jacobian(f_single(torch), tx))
    check(jacobian(f_pair(brique), (bx, by)), TF.jacobian(f_pair(torch), (tx, ty)))
    # one input, several outputs; several inputs, one output
    check(jacobian(lambda x: (x * 2, x.exp()), bx), TF.jacobian(lambda x: (x * 2, x.exp()), tx))
    check(jacobian(lambda x, y: (x * y).sum(0), (bx, by)),
          TF.jacobian(lambda x, y: (x * y).sum(0), (tx, ty)))
    check(jacobian(f_single(brique), bx, vectorize=True),
          TF.jacobian(f_single(torch), tx, vectorize=True))


def test_hessian_matches_torch():
    (bx, tx), (by, ty) = pair(X), pair(Y)
    check(hessian(f_scalar(brique), bx), TF.hessian(f_scalar(torch), tx))
    check(hessian(f_scalar2(brique), (bx[0], by)), TF.hessian(f_scalar2(torch), (tx[0], ty)))


def test_products_match_torch():
    (bx, tx), (by, ty) = pair(X), pair(Y)
    (bv, tv), (bw, tw) = pair(X[::-1].copy()), pair(Y * 2)
    (bo, to) = pair(np.array([0.3, -1.0]))
    check(vjp(f_single(brique), bx, bo), TF.vjp(f_single(torch), tx, to))
    check(jvp(f_single(brique), bx, bv), TF.jvp(f_single(torch), tx, tv))
    check(vjp(f_scalar(brique), bx), TF.vjp(f_scalar(torch), tx))
    check(hvp(f_scalar(brique), bx, bv), TF.hvp(f_scalar(torch), tx, tv))
    check(vhp(f_scalar(brique), bx, bv), TF.vhp(f_scalar(torch), tx, tv))
    check(hvp(f_scalar2(brique), (bx[1], by), (bw, bw)),
          TF.hvp(f_scalar2(torch), (tx[1], ty), (tw, tw)))
    check(jvp(f_pair(brique), (bx, by), (bv, bw)), TF.jvp(f_pair(torch), (tx, ty), (tv, tw)))


def test_create_graph_keeps_results_differentiable():
    x = brique.tensor([1.0, 2.0], dtype=brique.float64, requires_grad=True)
    j = jacobian(lambda t: t ** 3, x, create_graph=True)
    assert j.requires_grad
    j.sum().backward()  # d/dx sum(diag(3x^2)) = 6x
    assert x.grad.tolist() == [6.0, 12.0]
    assert not jacobian(lambda t: t ** 3, x).requires_grad


def test_independent_outputs_and_strict():
    x = brique.ones(3, dtype=brique.float64)
    j = jacobian(lambda t: brique.zeros(2, dtype=brique.float64), x)
    assert j.shape == (2, 3) and j.abs().sum().item() == 0
    with pytest.raises(RuntimeError, match="independent of input 0.*strict"):
        jacobian(lambda t: brique.zeros(2, dtype=brique.float64), x, strict=True)
    assert hessian(lambda t: t.sum(), x).abs().sum().item() == 0  # linear: zero Hessian


def test_bad_arguments():
    x = brique.ones(3, dtype=brique.float64)
    with pytest.raises(TypeError, match="inputs must be a Tensor"):
        jacobian(lambda t: t, [1.0, 2.0])
    with pytest.raises(TypeError, match="output must be a Tensor"):
        jacobian(lambda t: 3.0, x)
    with pytest.raises(RuntimeError, match="single-element"):
        hessian(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match="v can be omitted"):
        vjp(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match=r"has shape \(2,\), but it must match shape \(3,\)"):
        jvp(lambda t: t * 2, x, brique.ones(2, dtype=brique.float64))
    with pytest.raises(ValueError, match="forward-mode"):
        jacobian(lambda t: t, x, strategy="forward-mode")
    with pytest.raises(TypeError, match="floating point"):
        jacobian(lambda t: t, brique.ones(2, dtype=brique.int64))


# ---------------------------------------------------------------------- gradcheck
class Cube(brique.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x ** 2  # wrong factor


def leaf(shape, seed=0):
    rng = np.random.default_rng(seed)
    return brique.tensor(rng.normal(size=shape), dtype=brique.float64, requires_grad=True)


def test_gradcheck_passes_correct_gradients():
    assert brique.autograd.gradcheck(Cube.apply, (leaf((2, 3)),))
    assert brique.autograd.gradcheck(lambda a, b: (a @ b).tanh(), (leaf((2, 3)), leaf((3, 2))))
    assert brique.autograd.gradcheck(lambda a, k: a * k, (leaf(3), 2.0), eps=1e-6, atol=1e-5)
    assert brique.autograd.gradgradcheck(lambda a: (a.sin() * a).sum(), leaf(3))
    assert brique.autograd.gradgradcheck(Cube.apply, leaf(4))


def test_gradcheck_catches_a_wrong_backward():
    with pytest.raises(brique.autograd.GradcheckError,
                       match=r"output 0 with respect to input 0: largest difference"):
        brique.autograd.gradcheck(WrongCube.apply, (leaf(3, seed=1),))
    assert issubclass(brique.autograd.GradcheckError, RuntimeError)
    assert brique.autograd.gradcheck(WrongCube.apply, (leaf(3, seed=1),),
                                     raise_exception=False) is False
    # the second input is wrong only
    with pytest.raises(RuntimeError, match="input 1"):
        brique.autograd.gradcheck(lambda a, b: a + WrongCube.apply(b), (leaf(2), leaf(2, 3)))


def test_gradcheck_bad_inputs():
    with pytest.raises(ValueError, match="requires_grad=True"):
        brique.autograd.gradcheck(lambda a: a, brique.ones(2, dtype=brique.float64))
    with pytest.warns(UserWarning, match="not float64"):
        brique.autograd.gradcheck(lambda a: a * 2, brique.ones(2, requires_grad=True),
                                  eps=1e-2, atol=1e-2, rtol=1e-2)
    with pytest.raises(TypeError, match="unexpected keyword"):
        brique.autograd.gradcheck(lambda a: a, leaf(2), epsilon=1e-3)
    assert brique.autograd.gradcheck(lambda a: a, leaf(2), fast_mode=True)


def test_import_paths():
    import brique.autograd.functional as F
    assert F.jacobian is jacobian and brique.autograd.functional is F
