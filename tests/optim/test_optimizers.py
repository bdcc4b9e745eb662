"""brique.optim against torch.optim: the same problem, the same initial weights, float64,
20 steps, and the parameters must follow the same trajectory."""
import numpy as np
import pytest

import brique
import brique.optim as optim

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((16, 5))
Y = RNG.standard_normal((16, 3))
INIT = [RNG.standard_normal((5, 4)) * 0.5, RNG.standard_normal(4) * 0.1,
        RNG.standard_normal((4, 3)) * 0.5]


def loss_fn(lib, params, sign=1.0):
    """A small tanh MLP's mean squared error, written once for both libraries."""
    w1, b1, w2 = params
    x, y = lib.tensor(X, dtype=lib.float64), lib.tensor(Y, dtype=lib.float64)
    return sign * ((x @ w1 + b1).tanh() @ w2 - y).pow(2).mean()


def make_params(lib, arrays=INIT):
    return [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]


def groups(params, grouped):
    if not grouped:
        return params
    return [{"params": params[:2], "lr": grouped}, {"params": params[2:]}]


def run(lib, opt, params, steps, sign=1.0):
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(lib, params, sign).backward()
        opt.step()
    return [p.detach().numpy().copy() for p in params]


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.05, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.05, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.05, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.05)),  # rectifies from step 6
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-4, weight_decay=0.05, maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=5, weight_decay=0.05, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
]
# Loading casts every floating buffer to the parameter's dtype, as torch does: NAdam's float32
# mu_product then multiplies in float64, so its resumed trajectory matches only to rounding.
ROUNDING_ON_LOAD = {"NAdam"}
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES]


@pytest.mark.parametrize("grouped", [None, 0.03], ids=["one-group", "two-groups"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_matches_torch(name, kwargs, grouped):
    sign = -1.0 if kwargs.get("maximize") else 1.0
    b_params, t_params = make_params(brique), make_params(torch)
    b_opt = getattr(optim, name)(groups(b_params, grouped), **kwargs)
    t_opt = getattr(torch.optim, name)(groups(t_params, grouped), **kwargs)
    for _ in range(20):
        b_now, t_now = run(brique, b_opt, b_params, 1, sign), run(torch, t_opt, t_params, 1, sign)
        for b, t in zip(b_now, t_now):
            np.testing.assert_allclose(b, t, rtol=1e-6, atol=1e-12)
    assert not np.allclose(b_now[0], INIT[0])  # it did move
    # The same state entries as PyTorch's, with the same values.
    for bp, tp in zip(b_params, t_params):
        b_state, t_state = b_opt.state[bp], t_opt.state[tp]
        assert set(b_state) == {k for k, v in t_state.items() if v is not None}
        for key, value in b_state.items():
            expected = t_state[key].detach().numpy()
            assert isinstance(value, brique.Tensor) and value.dtype == expected.dtype, key
            np.testing.assert_allclose(value.numpy(), expected, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_state_dict_round_trip(name, kwargs):
    sign = -1.0 if kwargs.get("maximize") else 1.0
    straight = make_params(brique)
    run(brique, getattr(optim, name)(groups(straight, 0.03), **kwargs), straight, 20, sign)

    params = make_params(brique)
    opt = getattr(optim, name)(groups(params, 0.03), **kwargs)
    halfway = run(brique, opt, params, 10, sign)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == ([] if name == "SGD" and "momentum" not in kwargs else [0, 1, 2])
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert all(isinstance(v, (brique.Tensor, int, float)) for s in sd["state"].values()
               for v in s.values())

    fresh = make_params(brique, halfway)
    opt2 = getattr(optim, name)(groups(fresh, 0.5), **kwargs)  # the saved lr must win
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.03
    assert opt2.param_groups[0]["params"][0] is fresh[0]
    run(brique, opt2, fresh, 10, sign)
    for a, b in zip(fresh, straight):
        if name in ROUNDING_ON_LOAD:
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9)
        else:
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    # The loaded buffers are copies, not the first optimizer's.
    for key, value in sd["state"].get(0, {}).items():
        if key != "step":
            assert value is not opt2.state[fresh[0]][key]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, kwargs", [c for c in CASES if c[0] in ("SGD", "Adam", "AdamW")])
def test_one_pass_updates_round_as_the_numpy_ones(name, kwargs, dtype, monkeypatch):
    """SGD's and Adam's compiled one-pass updates (optim/_fused.py) give the values of the
    NumPy code they replace, bit for bit."""
    from brique.ops import _kernels
    from brique.optim import _fused
    if not _kernels.ENABLED:
        pytest.skip("needs numba")
    monkeypatch.setattr(_fused, "MIN_SIZE", 1)  # the small parameters here take the kernels
    calls = []
    for kernel in ("sgd_momentum_step", "adam_step"):
        real = getattr(_fused, kernel)
        monkeypatch.setattr(_fused, kernel, lambda *a, _real=real: (calls.append(1), _real(*a)))
    grads = [[RNG.standard_normal(a.shape).astype(dtype) for a in INIT] for _ in range(4)]

    def trajectory(compiled):
        monkeypatch.setattr(_kernels, "ENABLED", compiled)
        params = [brique.tensor(a.astype(dtype), requires_grad=True) for a in INIT]
        opt = getattr(optim, name)(params, **kwargs)
        for step in grads:
            for p, g in zip(params, step):
                p.grad = brique.tensor(g)
            opt.step()
        return [p.detach().numpy() for p in params]
    compiled = trajectory(True)
    amsgrad_or_plain = kwargs.get("amsgrad") or not kwargs.get("momentum", name != "SGD")
    assert bool(calls) != amsgrad_or_plain  # AMSGrad and momentum-free SGD stay in NumPy
    for mine, numpy_ones in zip(compiled, trajectory(False)):
        assert mine.dtype == dtype
        np.testing.assert_array_equal(mine, numpy_ones)


def test_state_dict_layout_matches_torch():
    b_params, t_params = make_params(brique), make_params(torch)
    b_opt = optim.Adam(groups(b_params, 0.03), lr=0.01, amsgrad=True)
    t_opt = torch.optim.Adam(groups(t_params, 0.03), lr=0.01, amsgrad=True)
    run(brique, b_opt, b_params, 3)
    run(torch, t_opt, t_params, 3)
    b_sd, t_sd = b_opt.state_dict(), t_opt.state_dict()
    assert b_sd["state"].keys() == t_sd["state"].keys()
    assert b_sd["state"][1].keys() == t_sd["state"][1].keys()
    for bg, tg in zip(b_sd["param_groups"], t_sd["param_groups"]):
        assert bg["params"] == tg["params"]
        assert set(bg) <= set(tg)
        assert all(bg[k] == tg[k] for k in bg)


def test_state_dict_accepts_arrays_and_string_keys():
    """A checkpoint reader may give back NumPy arrays, 0-d arrays and str keys."""
    params = make_params(brique)
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    run(brique, opt, params, 3)
    sd = opt.state_dict()
    raw = {"state": {str(k): {n: np.asarray(v.numpy() if isinstance(v, brique.Tensor) else v)
                              for n, v in s.items()} for k, s in sd["state"].items()},
           "param_groups": sd["param_groups"]}
    opt2 = optim.SGD(make_params(brique), lr=0.1, momentum=0.9)
    opt2.load_state_dict(raw)
    buf = opt2.state[opt2.param_groups[0]["params"][0]]["momentum_buffer"]
    assert isinstance(buf, brique.Tensor)
    np.testing.assert_array_equal(buf.numpy(), sd["state"][0]["momentum_buffer"].numpy())


def test_adam_betas_back_from_a_list():
    params = make_params(brique)
    opt = optim.Adam(params)
    sd = opt.state_dict()
    sd["param_groups"][0]["betas"] = list(sd["param_groups"][0]["betas"])
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)


@pytest.mark.parametrize("make,message", [
    (lambda p: optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.SGD(p, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda p: optim.SGD(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda p: optim.Adagrad(p, eps=-1), "Invalid epsilon value: -1"),
    (lambda p: optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
    (lambda p: optim.RMSprop(p, alpha=-1), "Invalid alpha value: -1"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
])
def test_invalid_hyper_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make(make_params(brique))


def test_param_group_errors():
    p = make_params(brique)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p[0], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p[0]}}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p[0] * 2], lr=0.1)
    opt = optim.SGD(p[:2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [p[1], p[2]]})
    opt.add_param_group({"params": p[2], "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0
    assert opt.param_groups[1]["params"] == [p[2]]


def test_zero_grad_step_and_closure():
    params = make_params(brique)
    opt = optim.SGD(params, lr=0.1)
    loss_fn(brique, params).backward()
    opt.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)

    def closure():
        opt.zero_grad()
        loss = loss_fn(brique, params[:2] + [params[2].detach()])  # w2 gets no gradient
        loss.backward()
        return loss

    versions = [p._version for p in params]
    with brique.no_grad():  # step turns grad mode back on for the closure
        loss = opt.step(closure)
    assert isinstance(loss, brique.Tensor) and loss.item() > 0
    assert params[2].grad is None
    np.testing.assert_array_equal(params[2].detach().numpy(), INIT[2])  # skipped
    assert [p._version for p in params] == [v + 1 for v in versions[:2]] + versions[2:]
    assert "SGD (" in repr(opt) and "lr: 0.1" in repr(opt)


def test_float32_params_stay_float32():
    w = brique.tensor(INIT[0].astype(np.float32), requires_grad=True)
    opt = optim.Adam([w], lr=0.01, weight_decay=0.1)
    (w * w).sum().backward()
    opt.step()
    assert w.dtype == np.float32 and opt.state[w]["exp_avg"].dtype == np.float32


def test_step_is_a_float32_cpu_tensor_and_old_int_steps_load():
    params = make_params(brique)
    opt = optim.Adam(params, lr=0.01)
    run(brique, opt, params, 3)
    step = opt.state[params[0]]["step"]
    assert isinstance(step, brique.Tensor) and step.dtype == np.float32 and step.shape == ()
    assert step.device.type == "cpu" and step.item() == 3.0
    sd = opt.state_dict()
    for s in sd["state"].values():  # a checkpoint written when 'step' was a Python int
        s["step"] = 3
    opt2 = optim.Adam(make_params(brique), lr=0.01)
    opt2.load_state_dict(sd)
    loaded = opt2.state[opt2.param_groups[0]["params"][0]]["step"]
    assert isinstance(loaded, brique.Tensor) and loaded.dtype == np.float32
    assert loaded.item() == 3.0
    sgd = optim.SGD(params, lr=0.1, momentum=0.9)
    run(brique, sgd, params, 2)
    assert set(sgd.state[params[0]]) == {"momentum_buffer"}


def test_module_and_optimizer_zero_grad_keep_the_grad_tensor():
    model = brique.nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    for zero in (model.zero_grad, opt.zero_grad):
        model(brique.ones(4, 3)).sum().backward()
        grad = model.weight.grad
        zero(set_to_none=False)
        assert model.weight.grad is grad and not grad.requires_grad
        assert np.all(grad.numpy() == 0)
        zero()
        assert model.weight.grad is None
