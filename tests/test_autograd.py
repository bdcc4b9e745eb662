"""autograd.py and Tensor.backward: the engine, grad mode, brique.grad, hooks, higher order,
deep graphs, the version counter and the ownership of `.grad`."""
import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import brique

torch = pytest.importorskip("torch")


def leaf(values, dtype=brique.float32):
    return brique.tensor(values, dtype=dtype, requires_grad=True)


# ---------------------------------------------------------------------- backward
def test_course_snippet():
    x, y, z = leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0, 6.0]), leaf([7.0, 8.0, 9.0])
    a = x * y
    b = a + z
    c = brique.sum(b)
    c.backward()
    assert x.grad.tolist() == y.tolist()
    assert y.grad.tolist() == x.tolist()
    assert z.grad.tolist() == [1.0, 1.0, 1.0]
    assert a.grad is None  # non-leaves keep no gradient unless retain_grad()


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]
    assert first.tolist() == [2.0, 4.0]  # accumulation made a new array, not an in-place add


def test_backward_with_gradient_argument():
    x = leaf([1.0, 2.0])
    (x * 3).backward(brique.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [3.0, 30.0]
    x.grad = None
    (x * 3).backward(gradient=[2.0, 2.0])  # a list works too
    assert x.grad.tolist() == [6.0, 6.0]
    x.grad = None
    (x * 3).backward(np.array([1.0, 1.0]))
    assert x.grad.tolist() == [3.0, 3.0] and x.grad.dtype == brique.float32


@pytest.mark.parametrize("lib", [brique, torch], ids=["brique", "torch"])
def test_backward_inputs_accumulates_into_those_only(lib):
    a, b, c = (lib.ones(2, requires_grad=True) for _ in range(3))
    h = a * 5
    (a * 2 + b * 3 + h).sum().backward(inputs=[a, c], retain_graph=True)
    assert a.grad.tolist() == [7.0, 7.0] and b.grad is None and c.grad is None
    (h * 2).sum().backward(inputs=h)  # a non-leaf gets .grad; the leaf below it does not
    assert h.grad.tolist() == [2.0, 2.0] and a.grad.tolist() == [7.0, 7.0]
    (a * a).sum().backward(inputs=[a], create_graph=True)
    assert a.grad.tolist() == [9.0, 9.0] and a.grad.requires_grad
    with pytest.raises((ValueError, RuntimeError), match="cannot be empty"):
        (a * 2).sum().backward(inputs=[])


def test_non_scalar_backward_needs_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"scalar outputs.*shape \(2,\)"):
        (x * 2).backward()


def test_gradient_shape_mismatch_is_an_error():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*\(2,\)"):
        (x * 2).backward(brique.ones(3))


def test_backward_on_tensor_without_graph_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        brique.ones(2).sum().backward()
    x = leaf([1.0])
    with brique.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match="no_grad"):
        y.sum().backward()


@pytest.mark.parametrize("f", [lambda x: (x * x).sum(), lambda x: (x + 1).sum(),
                               lambda x: x.exp().sum()])
def test_backward_twice_needs_retain_graph(f):
    x = leaf([1.0, 2.0])
    out = f(x)
    out.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        out.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    out = (x * x).sum()
    out.backward(retain_graph=True)
    out.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_shared_subexpression_and_reused_input():
    x = leaf([3.0])
    y = x * x           # used twice below: its gradient is the sum of both paths
    z = y * y + y + x   # z = x^4 + x^2 + x
    z.sum().backward()
    assert x.grad.item() == pytest.approx(4 * 27 + 2 * 3 + 1)


def test_broadcast_gradients_are_summed_to_input_shape():
    a = leaf(np.ones((2, 3)))
    b = leaf([1.0, 2.0, 3.0])
    c = leaf(2.0)
    (a * b * c).sum().backward()
    assert a.grad.shape == (2, 3) and b.grad.shape == (3,) and c.grad.shape == ()
    assert b.grad.tolist() == [4.0, 4.0, 4.0] and c.grad.item() == 12.0


def test_memmap_input_is_not_another_device(tmp_path):
    # An ndarray subclass (a dataset opened with mmap_mode) is still a CPU array.
    np.save(tmp_path / "a.npy", np.arange(3.0, dtype=np.float32))
    m = brique.from_numpy(np.load(tmp_path / "a.npy", mmap_mode="r"))
    w = leaf([1.0, 1.0, 1.0])
    (m * w).sum().backward()
    assert w.grad.tolist() == [0.0, 1.0, 2.0]


@settings(max_examples=30, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
def test_broadcast_gradients_match_torch(shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes.input_shapes]
    b = [leaf(a, brique.float64) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    ((b[0] * b[1] + b[2]) ** 2).sum().backward()
    ((t[0] * t[1] + t[2]) ** 2).sum().backward()
    for bi, ti in zip(b, t):
        assert bi.grad.shape == tuple(ti.grad.shape)
        np.testing.assert_allclose(bi.grad.numpy(), ti.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_grad_has_the_input_dtype():
    x = leaf([1.0, 2.0])                               # float32
    k = brique.tensor([1.0, 2.0], dtype=brique.float64)
    (x * k).sum().backward()
    assert x.grad.dtype == brique.float32 and x.grad.tolist() == [1.0, 2.0]


class Cube(brique.autograd.Function):
    """A user-defined primitive: forward on arrays, backward on Tensors."""

    def forward(self, a):
        return a ** 3

    def backward(self, g):
        (a,) = self.saved
        return g * 3 * a * a


def test_user_defined_function_first_and_second_order():
    x = leaf([1.0, 2.0], brique.float64)
    y = Cube.apply(x)
    assert y.grad_fn is not None and "Cube" in repr(y)
    (g,) = brique.grad(y.sum(), x, create_graph=True)
    assert g.tolist() == [3.0, 12.0]
    (h,) = brique.grad(g.sum(), x)  # backward written with Tensor ops: differentiable
    assert h.tolist() == [6.0, 12.0]
    with brique.no_grad():
        assert Cube.apply(x).grad_fn is None


def test_forward_errors_name_the_op_and_shapes():
    class Boom(brique.autograd.Function):
        def forward(self, a, b):
            raise ValueError("operands do not fit")

    with pytest.raises(ValueError, match=r"boom: operands do not fit \(input shapes: \(2, 3\), "
                                         r"\(4,\)\)"):
        Boom.apply(brique.ones(2, 3), brique.ones(4))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        brique.ones(2, 3) + brique.ones(4)


# ---------------------------------------------------------------------- brique.grad
def test_grad_returns_tuple_and_leaves_dot_grad_alone():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    gx, gy = brique.grad((x * y).sum(), [x, y])
    assert gx.tolist() == [3.0, 4.0] and gy.tolist() == [1.0, 2.0]
    assert x.grad is None and y.grad is None
    assert not gx.requires_grad
    (gx_only,) = brique.grad((x * y).sum(), x)
    assert gx_only.tolist() == [3.0, 4.0]


def test_grad_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        brique.grad((x * 2).sum(), [x, unused])
    gx, gu = brique.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None


def test_grad_input_must_require_grad():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        brique.grad((x * 2).sum(), [brique.ones(1)])


def test_grad_outputs_and_several_outputs():
    x = leaf([1.0, 2.0])
    (g,) = brique.grad(x * 3, x, grad_outputs=brique.tensor([1.0, 2.0]))
    assert g.tolist() == [3.0, 6.0]
    (g,) = brique.grad([(x * 2).sum(), (x * x).sum()], x)
    assert g.tolist() == [4.0, 6.0]
    with pytest.raises(RuntimeError, match="grad_outputs has 1"):
        brique.grad([(x * 2).sum(), x.sum()], x, grad_outputs=[None])


def test_grad_with_respect_to_a_non_leaf():
    x = leaf([2.0])
    h = x * 3
    out = (h * h).sum()
    (gh,) = brique.grad(out, h)
    assert gh.tolist() == [12.0]


def test_grad_retain_graph():
    x = leaf([2.0])
    out = (x * x).sum()
    brique.grad(out, x, retain_graph=True)
    (g,) = brique.grad(out, x)
    assert g.tolist() == [4.0]
    with pytest.raises(RuntimeError, match="second time"):
        brique.grad(out, x)


# ---------------------------------------------------------------------- grad mode
def test_no_grad_context_and_decorator():
    x = leaf([1.0])
    with brique.no_grad():
        assert not brique.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert brique.is_grad_enabled()

    @brique.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad and brique.is_grad_enabled()
    assert f.__name__ == "f"


def test_enable_grad_inside_no_grad():
    x = leaf([1.0])
    with brique.no_grad():
        with brique.enable_grad():
            assert (x * 2).requires_grad

        @brique.enable_grad()
        def g():
            return x * 2

        assert g().requires_grad
        assert not (x * 2).requires_grad


def test_set_grad_enabled_all_three_uses():
    x = leaf([1.0])
    with brique.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert brique.is_grad_enabled()
    brique.set_grad_enabled(False)  # a plain call takes effect at once
    try:
        assert not brique.is_grad_enabled()
    finally:
        brique.set_grad_enabled(True)
    assert brique.is_grad_enabled()

    @brique.set_grad_enabled(False)
    def h():
        return brique.is_grad_enabled()

    assert brique.is_grad_enabled()  # decorating must not switch grad mode off
    assert h() is False and brique.is_grad_enabled()


def test_inference_mode():
    x = leaf([1.0])
    with brique.inference_mode():
        assert not (x * 2).requires_grad
    with brique.inference_mode(False):
        assert (x * 2).requires_grad
    assert brique.is_grad_enabled()


def test_grad_mode_restored_after_an_exception():
    with pytest.raises(ValueError):
        with brique.no_grad():
            raise ValueError
    assert brique.is_grad_enabled()


# ---------------------------------------------------------------------- retain_grad, hooks
def test_retain_grad_on_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0]
    assert x.grad.tolist() == [18.0, 36.0]


def test_register_hook_on_leaf_and_remove():
    x = leaf([1.0, 2.0])
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()))  # returns None: grad unchanged
    x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    assert seen == [[2.0, 2.0]] and x.grad.tolist() == [20.0, 20.0]
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert seen == [[2.0, 2.0]] and x.grad.tolist() == [20.0, 20.0]


def test_register_hook_on_non_leaf_changes_what_flows_back():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.register_hook(lambda g: g * 0.5)
    (h * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="hook"):
        brique.ones(1).register_hook(lambda g: g)


# ---------------------------------------------------------------------- higher order
def _mlp_loss(params, x, y):
    w1, b1, w2, b2 = params
    h = (x @ w1.T + b1).tanh()
    out = h @ w2.T + b2
    return ((out - y) ** 2).mean()


def _mlp_setup():
    rng = np.random.default_rng(0)
    shapes = [(5, 3), (5,), (1, 5), (1,)]
    w = [rng.standard_normal(s) for s in shapes]
    v = [rng.standard_normal(s) for s in shapes]
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 1))
    return w, v, x, y


def _brique_grad(w, x, y, create_graph=False):
    params = [leaf(a, brique.float64) for a in w]
    loss = _mlp_loss(params, brique.tensor(x), brique.tensor(y))
    return params, brique.grad(loss, params, create_graph=create_graph)


def test_hessian_vector_product_mlp():
    w, v, x, y = _mlp_setup()
    params, grads = _brique_grad(w, x, y, create_graph=True)
    assert all(g.requires_grad for g in grads)
    dot = sum((g * brique.tensor(vi)).sum() for g, vi in zip(grads, v))
    hvp = [h.numpy() for h in brique.grad(dot, params)]

    eps = 1e-5  # central differences of the gradient along v
    plus = _brique_grad([a + eps * b for a, b in zip(w, v)], x, y)[1]
    minus = _brique_grad([a - eps * b for a, b in zip(w, v)], x, y)[1]
    for h, gp, gm in zip(hvp, plus, minus):
        np.testing.assert_allclose(h, (gp.numpy() - gm.numpy()) / (2 * eps), atol=1e-6)

    tparams = [torch.tensor(a, requires_grad=True) for a in w]
    tloss = _mlp_loss(tparams, torch.tensor(x), torch.tensor(y))
    tgrads = torch.autograd.grad(tloss, tparams, create_graph=True)
    tdot = sum((g * torch.tensor(vi)).sum() for g, vi in zip(tgrads, v))
    for h, th in zip(hvp, torch.autograd.grad(tdot, tparams)):
        np.testing.assert_allclose(h, th.numpy(), rtol=1e-10, atol=1e-12)


def test_backward_create_graph_gives_differentiable_grad():
    x = leaf(1.5, brique.float64)
    (x ** 3).backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.item() == pytest.approx(3 * 1.5 ** 2)
    (g2,) = brique.grad(x.grad, x)
    assert g2.item() == pytest.approx(6 * 1.5)


def test_create_graph_accumulation_stays_in_the_graph():
    x = leaf(2.0, brique.float64)
    (x ** 3).backward(create_graph=True)  # x.grad = 3x^2, in a graph
    (x * 5).backward(create_graph=True)   # adds a constant 5: the sum must keep the graph
    assert x.grad.item() == 17.0 and x.grad.requires_grad
    (g2,) = brique.grad(x.grad, x)
    assert g2.item() == 12.0


@pytest.mark.parametrize("f, d3", [
    (lambda t: t ** 3, lambda a: 6.0),
    (lambda t: t.sin(), lambda a: -np.cos(a)),
    (lambda t: t.exp() * t, lambda a: np.exp(a) * (a + 3)),
])
def test_third_derivative(f, d3):
    a = 0.7
    x = leaf(a, brique.float64)
    (g1,) = brique.grad(f(x), x, create_graph=True)
    (g2,) = brique.grad(g1, x, create_graph=True)
    (g3,) = brique.grad(g2, x)
    assert g3.item() == pytest.approx(d3(a), rel=1e-12)


# ---------------------------------------------------------------------- deep graphs
def test_deep_chain_has_no_recursion_limit():
    x = leaf(1.0, brique.float64)
    y = x
    for _ in range(50_000):  # 100,000 ops
        y = y * 1.0001 + 1
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 50_000, rel=1e-9)


# ---------------------------------------------------------------------- version counter
def test_modified_saved_input_raises_at_backward():
    w, x = leaf([1.0, 2.0]), brique.ones(2)
    y = w * x
    x.mul_(2)
    with pytest.raises(RuntimeError, match=r"Mul.*modified by an in-place operation"):
        y.sum().backward()


def test_modified_saved_output_raises_at_backward():
    w = leaf([1.0, 2.0])
    y = w.exp()
    with brique.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match=r"Exp.*modified by an in-place operation"):
        y.sum().backward()


def test_modified_saved_tensor_of_a_no_grad_branch():
    x, w = brique.ones(2), leaf([1.0, 2.0])
    y = x.exp()  # no grad needed here, but y is saved by the product below
    z = y * w
    y.add_(1)
    with pytest.raises(RuntimeError, match="in-place"):
        z.sum().backward()


@pytest.mark.parametrize("change", [
    lambda x: x.detach().mul_(2),      # detach() shares the version counter, as in PyTorch
    lambda x: x[1:].mul_(2),           # basic indexing is a view
    lambda x: x.reshape(2, 1).add_(1),
    lambda x: x.__setitem__(0, 5.0),
])
def test_modifying_a_view_of_a_saved_tensor_raises(change):
    w, x = leaf([1.0, 2.0]), brique.ones(2)
    y = w * x
    change(x)
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_unsaved_input_may_change():
    w, x = leaf([1.0, 2.0]), brique.ones(2)
    y = w + x  # add does not need its inputs for backward
    x.mul_(2)
    y.sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]


def test_view_of_an_already_modified_tensor_is_fine():
    x = brique.ones(3)
    x.add_(1)
    w = leaf([1.0, 1.0])
    y = (w * x[:2]).exp()
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * np.exp(2.0) * np.ones(2), rtol=1e-6)


def test_inplace_on_leaf_requiring_grad():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 3.0
    with brique.no_grad():  # the optimizer-style update
        w.sub_(0.5 * brique.ones(2))
        w -= 0.5
        w.mul_(2)
    assert w.tolist() == [0.0, 2.0] and w.requires_grad and w.is_leaf


@pytest.mark.parametrize("lib", [brique, torch], ids=["brique", "torch"])
def test_inplace_ops_in_a_graph_are_recorded(lib):
    w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = w * 2
    before = y * 3                    # used before the changes
    y.mul_(3).add_(w)                 # y = 7 w
    y[0] = w[1] * 5                   # y = [5 w1, 7 w1, 7 w2]
    y[1:] = y[1:] * 2                 # read, then overwritten
    y.relu_()
    (y.sum() + before.sum()).backward()
    assert y.tolist() == [0.0, 0.0, 28.0]
    assert w.grad.tolist() == [6.0, 6.0, 14.0 + 6.0]
    buffer = lib.zeros(3, 2)          # the seq2seq loop: outputs[t] = h
    h = w[:2]
    for t in range(3):
        h = h * 2
        buffer[t] = h
    w.grad = None
    buffer.sum().backward()
    assert w.grad.tolist() == [14.0, 14.0, 0.0]


@pytest.mark.parametrize("lib", [brique, torch], ids=["brique", "torch"])
def test_inplace_ops_on_views_write_into_the_base(lib):
    w = lib.tensor([[0.5, -1.0, 2.0], [1.0, 3.0, -2.0]], requires_grad=True)
    y = w * 2
    first = y[0] * 5                  # read before the view changes
    y[0][1:].mul_(3)                  # a view of a view
    y[:, 0].zero_()
    buffer = lib.zeros(2, 3)
    buffer[1].copy_(w[0] * 2)         # a buffer's view takes a graph operand
    (y * w.detach()).sum().backward(retain_graph=True)
    assert w.grad.tolist() == [[0.0, -6.0, 12.0], [0.0, 6.0, -4.0]]
    w.grad = None
    (buffer.sum() + first.sum()).backward()
    assert w.grad.tolist() == [[12.0, 12.0, 12.0], [0.0, 0.0, 0.0]]


def test_inplace_on_a_transposed_view_or_a_leaf_view_is_refused():
    y = leaf([[1.0, 2.0], [3.0, 4.0]]) * 2
    with pytest.raises(RuntimeError, match="reshape or a transpose"):
        y.t().mul_(3)
    with pytest.raises(RuntimeError, match="view of a leaf"):
        leaf([1.0, 2.0])[0:1].mul_(3)


def test_augmented_assignment_in_a_graph_rebinds():
    x = leaf([1.0, 2.0])
    h = x * 2
    before = h
    h += 1
    h *= h  # h = (2x + 1)^2
    assert before is not h and before.tolist() == [2.0, 4.0]
    h.sum().backward()
    assert x.grad.tolist() == [4 * (2 * 1 + 1), 4 * (2 * 2 + 1)]


# ---------------------------------------------------------------------- .grad owns its memory
@pytest.mark.parametrize("build", [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a.reshape(2, 1) + b.reshape(2, 1),
    lambda a, b: a.expand(3, 2) + b,
    lambda a, b: a.unsqueeze(0).expand(4, 2).sum(0) + b * 1,
])
def test_grads_do_not_share_memory(build):
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    build(a, b).sum().backward()
    before = b.grad.tolist()
    a.grad.mul_(2)
    assert b.grad.tolist() == before
    b.grad.add_(1)  # .grad is writable
    assert b.grad.tolist() == [v + 1 for v in before]


def test_grad_does_not_alias_the_gradient_argument():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    g = brique.ones(2)
    (a + b).backward(g)
    g.mul_(5)
    a.grad.mul_(3)
    assert a.grad.tolist() == [3.0, 3.0] and b.grad.tolist() == [1.0, 1.0]
    x = leaf([1.0, 2.0])
    g = brique.ones(2)
    x.backward(g)  # the leaf is the root
    g.zero_()
    assert x.grad.tolist() == [1.0, 1.0]


def test_grads_do_not_share_memory_under_create_graph():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward(create_graph=True)
    with brique.no_grad():
        a.grad.mul_(2)
    assert b.grad.tolist() == [1.0, 1.0]


def test_grad_mode_is_per_thread():
    """Two threads train the same kind of model at once; one runs under no_grad and must not
    switch recording off for the other (PyTorch keeps grad mode per thread)."""
    import threading
    barrier = threading.Barrier(2)
    results = {}

    def train(name, frozen):
        w = brique.tensor([1.0, -2.0], requires_grad=True)
        recorded = []
        with brique.set_grad_enabled(not frozen):
            barrier.wait()  # both threads are now inside their grad mode
            for _ in range(20):
                loss = ((w * brique.tensor([3.0, 0.5])).sum() - 1) ** 2
                recorded.append(loss.requires_grad)
                if loss.requires_grad:
                    loss.backward()
                    with brique.no_grad():
                        w -= 0.01 * w.grad
                    w.grad = None
        results[name] = (recorded, loss.item())

    threads = [threading.Thread(target=train, args=(n, n == "frozen"))
               for n in ("frozen", "training")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not any(results["frozen"][0]) and all(results["training"][0])
    assert results["training"][1] < 0.01 < results["frozen"][1]
    assert brique.is_grad_enabled()


def test_op_errors_keep_the_original_traceback():
    a, b = brique.ones(2, 3), brique.ones(4, 5)
    try:
        a @ b
    except ValueError as e:
        assert "matmul" in str(e) and "(2, 3)" in str(e)
        assert e.__cause__ is not None and e.__cause__.__traceback__ is not None
    else:
        raise AssertionError("matmul of (2, 3) and (4, 5) did not raise")


# ---------------------------------------------------------------------- custom Functions
def _legendre(lib):
    class P3(lib.autograd.Function):  # PyTorch's tutorial: a custom autograd Function
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)
    return P3


class _Split:
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * scale, x.sum(), x.argmax()

    @staticmethod
    def backward(ctx, ga, gs, gi):
        (x,) = ctx.saved_tensors
        return ga * ctx.scale + gs, None


@pytest.mark.parametrize("lib", [brique, torch], ids=["brique", "torch"])
def test_custom_functions_as_pytorch_defines_them(lib):
    x = lib.tensor([0.5, -0.25, 0.75], dtype=lib.float64, requires_grad=True)
    y = _legendre(lib).apply(x * 2)
    g, = lib.autograd.grad(y.sum(), x, create_graph=True)  # its backward is made of ops
    np.testing.assert_allclose(g.detach().numpy(), 2 * 1.5 * (5 * (2 * x.detach().numpy()) ** 2
                                                             - 1))
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * 1.5 * 10 * 2 * x.detach().numpy())
    split = type("Split", (lib.autograd.Function,), dict(vars(_Split)))
    x = lib.tensor([1.0, 3.0, 2.0], requires_grad=True)
    a, s, i = split.apply(x, 2.0)  # several outputs, one not differentiable
    assert i.item() == 1 and not i.requires_grad and a.requires_grad
    (a * lib.tensor([1.0, 10.0, 100.0])).sum().backward(retain_graph=True)
    assert x.grad.tolist() == [2.0, 20.0, 200.0]  # s unused: its gradient comes as zeros
    x.grad = None
    s.backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]
    with lib.no_grad():
        assert not split.apply(x, 2.0)[0].requires_grad


def test_checkpoint_recomputes_with_the_same_dropout():
    import brique.utils.checkpoint as cp
    net = brique.nn.Sequential(brique.nn.Linear(4, 8), brique.nn.Tanh(),
                               brique.nn.Dropout(0.3), brique.nn.Linear(8, 2))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    grads = []
    for run in (lambda t: cp.checkpoint(net, t, use_reentrant=False), net):
        brique.manual_seed(3)
        t = brique.tensor(x, requires_grad=True)
        net.zero_grad()
        (run(t) ** 2).sum().backward()
        grads.append((t.grad.numpy(), net[0].weight.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-6)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-6)


@pytest.mark.parametrize("lib", [brique, torch], ids=["brique", "torch"])
def test_detect_anomaly_and_materialize_grads(lib):
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning) if lib is torch else contextlib.nullcontext():
        with lib.autograd.detect_anomaly():
            with pytest.raises(RuntimeError, match="returned nan values"):
                with np.errstate(all="ignore"):
                    (x / x).sum().backward()
    unused = lib.ones(2, requires_grad=True)
    got = lib.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert got[1].tolist() == [0.0, 0.0]
