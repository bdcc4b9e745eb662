"""Layers added for PyTorch programs: each loads PyTorch's state_dict and gives its outputs, and
prints as PyTorch prints it; plus the Tensor methods and torch-level functions programs use."""
import numpy as np
import pytest

import brique
import brique.nn as nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
X4 = RNG.standard_normal((2, 3, 5, 4))
X3 = X4[0]

LAYERS = [  # (name, args, input)
    ("ZeroPad2d", (1,), X4), ("ConstantPad2d", ((1, 2, 0, 1), 3.5), X4),
    ("ReflectionPad2d", ((1, 2, 3, 0),), X4), ("ReplicationPad2d", (2,), X4),
    ("CircularPad2d", (1,), X4), ("ReflectionPad1d", (2,), X3), ("ZeroPad1d", ((1, 0),), X3),
    ("InstanceNorm2d", (3,), X4), ("InstanceNorm2d", (3, 1e-5, 0.1, True, True), X4),
    ("InstanceNorm1d", (3, 1e-5, 0.1, True), X4[..., 0]), ("RMSNorm", (4,), X4),
    ("RMSNorm", ((5, 4), 1e-3), X4), ("Softmax2d", (), X4), ("Unfold", (2, 1, 1, 2), X4),
    ("PReLU", (3,), X4), ("ReLU6", (True,), X4), ("SELU", (), X4), ("CELU", (0.5,), X4),
    ("Mish", (), X4), ("Hardswish", (), X4), ("GLU", (1,), X4[:, :2]),
    ("Threshold", (0.1, 20.0), X4), ("Softshrink", (0.3,), X4), ("LogSigmoid", (), X4),
]


@pytest.mark.parametrize("name,args,x", LAYERS, ids=[f"{n}{a}" for n, a, _ in LAYERS])
def test_layer_matches_torch(name, args, x):
    theirs = getattr(torch.nn, name)(*args).double()
    ours = getattr(nn, name)(*args)
    ours.load_state_dict({k: brique.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs)
    for mode in ("train", "eval"):
        getattr(ours, mode)(), getattr(theirs, mode)()
        np.testing.assert_allclose(ours(brique.tensor(x)).detach().numpy(),
                                   theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6, atol=1e-9)
    for key, value in theirs.state_dict().items():  # running statistics move alike
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-6)


def test_fold_is_unfolds_adjoint_and_losses_match_torch():
    x = brique.tensor(X4, requires_grad=True)
    cols = nn.Unfold(2, padding=1)(x)
    back = nn.Fold((5, 4), 2, padding=1)(cols)
    np.testing.assert_allclose(back.detach().numpy(), torch.nn.Fold((5, 4), 2, padding=1)(
        torch.nn.Unfold(2, padding=1)(torch.tensor(X4))).numpy())
    a, b, c = (RNG.standard_normal((4, 5)) for _ in range(3))
    y = np.sign(RNG.standard_normal(4))
    for name, args, kwargs in [("MarginRankingLoss", (a[:, 0], b[:, 0], y), dict(margin=0.2)),
                               ("TripletMarginLoss", (a, b, c), dict(margin=0.5, swap=True)),
                               ("SoftMarginLoss", (a[:, 0], y), {}),
                               ("MultiLabelSoftMarginLoss", (a, (b > 0) * 1.0), {}),
                               ("PoissonNLLLoss", (a, np.abs(b).round()), dict(full=True)),
                               ("GaussianNLLLoss", (a, b, np.abs(c) + 0.1), {})]:
        ours = getattr(nn, name)(**kwargs)(*(brique.tensor(v) for v in args))
        theirs = getattr(torch.nn, name)(**kwargs)(*(torch.tensor(v) for v in args))
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-9, err_msg=name)


def test_parameter_containers_register_their_parameters():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([nn.Parameter(brique.ones(2)) for _ in range(3)])
            self.named = nn.ParameterDict({"scale": nn.Parameter(brique.zeros(1))})

    net = Net()
    assert list(net.state_dict()) == ["ws.0", "ws.1", "ws.2", "named.scale"]
    assert len(list(net.parameters())) == 4 and len(net.ws) == 3 and "scale" in net.named
    net.ws.append(brique.zeros(3))
    assert isinstance(net.ws[3], nn.Parameter) and net.ws[3].requires_grad


def test_tensor_methods_and_functions_programs_use():
    x = brique.tensor([[1.5, -2.0, 0.0], [0.3, 4.0, -0.7]])
    t = torch.tensor(x.numpy())
    assert x.type() == t.type() == "torch.FloatTensor" and x.stride() == t.stride()
    labels = brique.tensor([2, 0])
    assert brique.zeros(2, 3).scatter_(1, labels.unsqueeze(1), 1.0).tolist() == \
        torch.zeros(2, 3).scatter_(1, torch.tensor([[2], [0]]), 1.0).tolist()
    y = x.clone()
    y.masked_fill_(y < 0, 0.0).exp_().clamp_max_(3.0)
    np.testing.assert_allclose(y.numpy(), t.clone().masked_fill_(t < 0, 0.0).exp_()
                               .clamp_max_(3.0).numpy(), rtol=1e-6)
    assert brique.nonzero(x).tolist() == torch.nonzero(t).tolist()
    assert brique.unique(brique.tensor([3, 1, 3])).tolist() == [1, 3]
    assert x.masked_select(x > 0).tolist() == t.masked_select(t > 0).tolist()
    assert brique.einsum("ij->j", x).tolist() == pytest.approx(torch.einsum("ij->j", t).tolist())
    np.testing.assert_allclose(x.round().numpy(), t.round().numpy())
    assert brique.multinomial(brique.tensor([0.0, 1.0, 0.0]), 2, replacement=True).tolist() == \
        [1, 1]
    with pytest.raises(RuntimeError, match="in-place"):
        brique.ones(2, requires_grad=True).exp_()
