"""The module system: registration, walking, modes, devices/dtypes, state_dict, hooks, repr."""
import math

import numpy as np
import pytest
import torch

import brique
import brique.nn as nn


def torch_state(module):
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.register_buffer("steps", brique.zeros(1))
        self.register_buffer("scratch", brique.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def test_parameters_are_registered_in_order_with_pytorch_names():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert list(net.state_dict()) == ["steps", "fc1.weight", "fc1.bias", "fc2.weight"]  # PyTorch order
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert len(list(net.modules())) == 4
    assert net.fc2.bias is None


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2


def test_assigning_a_tensor_to_a_parameter_slot_is_an_error():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="weight"):
        lin.weight = brique.zeros(2, 2)


def test_train_eval_propagate():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_and_freeze():
    net = Net()
    net(brique.randn(5, 3)).sum().backward()
    assert net.fc1.weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.fc1.requires_grad_(False)
    net(brique.randn(5, 3)).sum().backward()
    assert net.fc1.weight.grad is None and net.fc2.weight.grad is not None


def test_to_dtype_keeps_parameter_objects():
    net = Net()
    w = net.fc1.weight
    net.double()
    assert net.fc1.weight is w and w.dtype == brique.float64
    assert net.steps.dtype == brique.float64
    assert net(brique.randn(2, 3, dtype=brique.float64)).dtype == brique.float64


def test_apply_visits_every_module():
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Tanh", "Linear", "Net"]


def test_load_state_dict_errors_and_non_strict():
    net = Net()
    sd = net.state_dict()
    sd.pop("fc1.bias")
    sd["extra"] = brique.zeros(1)
    with pytest.raises(RuntimeError, match=r"missing keys: \['fc1.bias'\].*\n.*unexpected keys"):
        net.load_state_dict(sd)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["extra"]
    bad = net.state_dict()
    bad["fc1.weight"] = brique.zeros(5, 3)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight.*\(5, 3\).*\(4, 3\)"):
        net.load_state_dict(bad)


def test_state_dict_round_trip_copies_values():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    x = brique.randn(4, 3)
    assert np.array_equal(a(x).detach().numpy(), b(x).detach().numpy())


@pytest.mark.parametrize("dtype,rtol", [(torch.float64, 1e-6), (torch.float32, 1e-4)])
def test_pytorch_state_dict_loads_and_agrees(dtype, rtol):
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    tnet = tnet.to(dtype)
    bnet = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2)).to(
        brique.float64 if dtype == torch.float64 else brique.float32)
    bnet.load_state_dict(torch_state(tnet))
    x = np.random.default_rng(0).standard_normal((7, 3))
    xt = torch.tensor(x, dtype=dtype, requires_grad=True)
    xb = brique.tensor(x, dtype=bnet[0].weight.dtype, requires_grad=True)
    yt, yb = tnet(xt), bnet(xb)
    np.testing.assert_allclose(yb.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=rtol)
    g = np.random.default_rng(1).standard_normal(yt.shape)
    yt.backward(torch.tensor(g, dtype=dtype))
    yb.backward(brique.tensor(g, dtype=yb.dtype))
    np.testing.assert_allclose(xb.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=rtol)
    for (name, pb), (_, pt) in zip(bnet.named_parameters(), tnet.named_parameters()):
        np.testing.assert_allclose(pb.grad.numpy(), pt.grad.numpy(), rtol=rtol, atol=rtol,
                                   err_msg=name)


def test_bilinear_matches_pytorch():
    tl = torch.nn.Bilinear(3, 4, 5).double()
    bl = nn.Bilinear(3, 4, 5).double()
    bl.load_state_dict(torch_state(tl))
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((6, 3)), rng.standard_normal((6, 4))
    t1, t2 = (torch.tensor(v, requires_grad=True) for v in (x1, x2))
    b1, b2 = (brique.tensor(v, requires_grad=True) for v in (x1, x2))
    yt, yb = tl(t1, t2), bl(b1, b2)
    np.testing.assert_allclose(yb.detach().numpy(), yt.detach().numpy(), rtol=1e-10)
    yt.sum().backward()
    yb.sum().backward()
    np.testing.assert_allclose(b1.grad.numpy(), t1.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(bl.weight.grad.numpy(), tl.weight.grad.numpy(), rtol=1e-10)


def test_default_linear_init_has_pytorch_bounds():
    brique.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = lin.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound


def test_forward_hooks_and_pre_hooks():
    net = Net()
    seen = []
    handle = net.fc1.register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape)))
    pre = net.fc2.register_forward_pre_hook(lambda m, i: (i[0] * 0,))
    out = net(brique.randn(5, 3))
    assert seen == [(5, 4)] and np.allclose(out.detach().numpy(), 0)
    handle.remove()
    pre.remove()
    net(brique.randn(5, 3))
    assert seen == [(5, 4)]


def test_repr_matches_pytorch():
    tnet = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(),
                               torch.nn.Sequential(torch.nn.Linear(8, 1, bias=False),
                                                   torch.nn.Sigmoid()))
    bnet = nn.Sequential(nn.Linear(2, 8), nn.Tanh(),
                         nn.Sequential(nn.Linear(8, 1, bias=False), nn.Sigmoid()))
    assert repr(bnet) == repr(tnet)


def test_containers():
    ml = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()])
    ml.append(nn.Tanh())
    assert len(ml) == 3 and isinstance(ml[2], nn.Tanh)
    md = nn.ModuleDict({"a": nn.Linear(2, 3)})
    assert "a" in md and [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[-1], nn.Linear) and len(seq[:2]) == 2
    seq[-1] = nn.Linear(3, 4)  # replacing a layer keeps its name, as in torch
    assert seq(brique.zeros(5, 2)).shape == (5, 4)
    assert [n for n, _ in seq.named_parameters()][-1] == "2.bias"


@pytest.mark.parametrize("lib", [brique, torch], ids=["brique", "torch"])
def test_container_edits_renumber_as_pytorch(lib):
    m = lib.nn
    s = m.Sequential(m.Linear(2, 2), m.ReLU(), m.Linear(2, 1), m.Sigmoid())
    del s[1]
    assert list(s.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    s.insert(1, m.Tanh())
    s.insert(-1, m.ReLU())
    assert [type(x).__name__ for x in s] == ["Linear", "Tanh", "Linear", "ReLU", "Sigmoid"]
    assert isinstance(s.pop(0), m.Linear) and list(s.state_dict()) == ["1.weight", "1.bias"]
    del s[1:3]
    assert [type(x).__name__ for x in s] == ["Tanh", "Sigmoid"]
    ml = m.ModuleList([m.Linear(1, 1), m.ReLU(), m.Linear(1, 2)])
    del ml[0]
    assert list(ml.state_dict()) == ["1.weight", "1.bias"]
    d = m.ModuleDict({"a": m.Linear(1, 1), "b": m.ReLU()})
    assert isinstance(d.pop("a"), m.Linear)
    d.update({"c": m.Tanh()})
    del d["b"]
    assert list(d.keys()) == ["c"]
    d.clear()
    assert len(d) == 0


def test_summary_prints_shapes_and_counts():
    lines = []
    total, trainable = nn.summary(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)),
                                  (4,), print_fn=lines.append)
    text = "\n".join(lines)
    assert total == trainable == 4 * 8 + 8 + 8 * 3 + 3
    assert "(1, 8)" in text and "(1, 3)" in text and "Total params: 67" in text


def test_layer_shape_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"Linear\(in_features=4, .*last dimension 4.*\(2, 3\)"):
        nn.Linear(4, 2)(brique.randn(2, 3))


@pytest.mark.parametrize("name,args", [
    ("ReLU", ()), ("Sigmoid", ()), ("Tanh", ()), ("SiLU", ()), ("Softsign", ()),
    ("LeakyReLU", (0.2,)), ("ELU", (0.7,)), ("GELU", ()), ("GELU", ("tanh",)),
    ("Softplus", (2.0, 5.0)), ("Hardtanh", (-0.5, 0.5)), ("Softmax", (1,)),
    ("LogSoftmax", (1,)),
])
def test_activation_modules_match_pytorch(name, args):
    x = np.random.default_rng(0).standard_normal((4, 5)) * 2
    xt, xb = torch.tensor(x, requires_grad=True), brique.tensor(x, requires_grad=True)
    yt, yb = getattr(torch.nn, name)(*args)(xt), getattr(nn, name)(*args)(xb)
    np.testing.assert_allclose(yb.detach().numpy(), yt.detach().numpy(), rtol=1e-7, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(x.shape)
    yt.backward(torch.tensor(g))
    yb.backward(brique.tensor(g))
    np.testing.assert_allclose(xb.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-12)
    assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_heaviside_is_the_perceptron_step():
    out = nn.Heaviside()(brique.tensor([-1.0, 0.0, 2.0]))
    assert out.tolist() == [0.0, 0.0, 1.0] and not out.requires_grad


def test_flatten_unflatten_identity():
    x = brique.randn(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Unflatten(1, (3, 4))(nn.Flatten()(x)).shape == (2, 3, 4)
    assert nn.Identity(5, foo=1)(x) is x


def test_buffer_assignment_registers_a_buffer_as_pytorch():
    torch = pytest.importorskip("torch")

    def build(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.kept = lib.nn.Buffer(lib.ones(3))
                self.scratch = lib.nn.Buffer(lib.zeros(2), persistent=False)
        return M()

    m, t = build(brique), build(torch)
    assert list(m.state_dict()) == list(t.state_dict()) == ["kept"]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert type(m.kept) is brique.Tensor and m.kept is m._buffers["kept"]
    with pytest.raises(AttributeError, match="super"):
        class Early(brique.nn.Module):
            def __init__(self):
                self.b = brique.nn.Buffer(brique.ones(1))
        Early()
