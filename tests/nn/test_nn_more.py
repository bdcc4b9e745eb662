"""EmbeddingBag, the lazy layers, MultiMargin/MultiLabelMargin/TripletMarginWithDistance losses,
LPPool, MaxUnpool1d, ChannelShuffle, FeatureAlphaDropout, gumbel_softmax and the in-place
activations against PyTorch with its weights loaded by state_dict; and their bad inputs."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import brique
import brique.nn as nn
import brique.nn.functional as F

RNG = np.random.default_rng(0)


def load(b, t):
    b.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return b


def forward_backward(b, t, *arrays, ints=()):
    """Outputs and input/weight gradients of both modules on the same float32 inputs (the
    arguments at positions `ints` are integer tensors)."""
    bx = [brique.tensor(a) if i in ints else brique.tensor(a, requires_grad=True)
          for i, a in enumerate(arrays)]
    tx = [torch.tensor(a) if i in ints else torch.tensor(a, requires_grad=True)
          for i, a in enumerate(arrays)]
    bo, to = b(*bx), t(*tx)
    g = RNG.normal(size=tuple(to.shape)).astype(np.float32)
    bo.backward(brique.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_allclose(bo.detach().numpy(), to.detach().numpy(), rtol=1e-4, atol=1e-5)
    for i, (u, v) in enumerate(zip(bx, tx)):
        if i not in ints:
            np.testing.assert_allclose(u.grad.numpy(), v.grad.numpy(), rtol=1e-4, atol=1e-5)
    named = b.named_parameters() if isinstance(b, nn.Module) else []
    for (name, p), q in zip(named, t.parameters() if named else []):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=name)


# ----------------------------------------------------------------- EmbeddingBag
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("last", [False, True])
def test_embedding_bag_offsets_like_torch(mode, last):
    t = torch.nn.EmbeddingBag(10, 3, mode=mode, include_last_offset=last, padding_idx=2)
    b = load(nn.EmbeddingBag(10, 3, mode=mode, include_last_offset=last, padding_idx=2), t)
    assert list(b.state_dict()) == list(t.state_dict())
    idx = np.array([1, 2, 9, 4, 4, 2, 0, 7], dtype=np.int64)
    off = np.array([0, 3, 3, 5] + ([8] if last else []), dtype=np.int64)
    bo, to = b(brique.tensor(idx), brique.tensor(off)), t(torch.tensor(idx), torch.tensor(off))
    np.testing.assert_allclose(bo.detach().numpy(), to.detach().numpy(), atol=1e-6)
    bo.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(b.weight.grad.numpy(), t.weight.grad.numpy(), atol=1e-6)


def test_embedding_bag_2d_per_sample_weights_and_pretrained():
    w = RNG.normal(size=(6, 4)).astype(np.float32)
    b = nn.EmbeddingBag.from_pretrained(brique.tensor(w), freeze=False, mode="sum")
    t = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), freeze=False, mode="sum")
    idx = RNG.integers(0, 6, (3, 5))
    psw = RNG.uniform(0.5, 2, (3, 5)).astype(np.float32)
    forward_backward(lambda i, p: b(i, per_sample_weights=p),
                     lambda i, p: t(i, per_sample_weights=p), idx, psw, ints=(0,))
    np.testing.assert_allclose(b.weight.grad.numpy(), t.weight.grad.numpy(), atol=1e-5)
    frozen = nn.EmbeddingBag.from_pretrained(brique.tensor(w))
    assert not frozen.weight.requires_grad and frozen.mode == "mean"


def test_embedding_bag_bad_inputs():
    bag = nn.EmbeddingBag(5, 2)
    with pytest.raises(ValueError, match="offsets has to be None"):
        bag(brique.tensor([[1, 2]]), brique.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be a 1D"):
        bag(brique.tensor([1, 2]))
    with pytest.raises(RuntimeError, match=r"offsets\[0\] has to be 0"):
        bag(brique.tensor([1, 2]), brique.tensor([1]))
    with pytest.raises(IndexError, match="out of range"):
        bag(brique.tensor([1, 7]), brique.tensor([0]))
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        bag(brique.tensor([1, 2]), brique.tensor([0]), brique.ones(2))
    with pytest.raises(ValueError, match="mode"):
        nn.EmbeddingBag(5, 2, mode="median")


# ----------------------------------------------------------------- lazy layers
LAZY = [("LazyLinear", (4,), (2, 3, 5)), ("LazyConv1d", (4, 3), (2, 3, 7)),
        ("LazyConv2d", (4, 3), (2, 3, 6, 6)), ("LazyConvTranspose1d", (4, 3), (2, 3, 5)),
        ("LazyConvTranspose2d", (4, 2), (2, 3, 4, 4)), ("LazyBatchNorm1d", (), (4, 3)),
        ("LazyBatchNorm2d", (), (4, 3, 2, 2))]


@pytest.mark.parametrize("name,args,shape", LAZY)
def test_lazy_layer_becomes_ordinary_and_matches_torch(name, args, shape):
    b, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    placeholder = b.weight
    assert isinstance(placeholder, nn.UninitializedParameter) and b.has_uninitialized_params()
    x = RNG.normal(size=shape).astype(np.float32)
    b(brique.tensor(x))
    t(torch.tensor(x))
    assert type(b).__name__ == type(t).__name__
    assert b.weight is placeholder and type(b.weight) is nn.Parameter
    assert list(b.state_dict()) == list(t.state_dict())
    forward_backward(load(b, t), t, x)


def test_lazy_follows_dtype_and_hooks():
    lin = nn.LazyLinear(3).double()
    calls = []
    lin.register_forward_pre_hook(lambda m, a: calls.append(type(m).__name__))
    assert lin(brique.randn(2, 4, dtype=brique.float64)).dtype == brique.float64
    assert lin.weight.dtype == brique.float64 and lin.in_features == 4 and calls == ["LazyLinear"]
    with pytest.raises(ValueError, match="first input"):
        nn.LazyConv2d(3, 2)(brique.randn(4, 4))


# ----------------------------------------------------------------- losses and pooling
def test_loss_modules_like_torch():
    x = RNG.normal(size=(4, 5)).astype(np.float32)
    w = np.array([1.0, 0.5, 2.0, 1.5, 0.3], dtype=np.float32)
    y = np.array([0, 3, 4, 1])
    forward_backward(nn.MultiMarginLoss(p=2, margin=0.5, weight=brique.tensor(w)),
                     torch.nn.MultiMarginLoss(p=2, margin=0.5, weight=torch.tensor(w)),
                     x, y, ints=(1,))
    labels = np.array([[3, 0, -1, 1, 2], [1, 2, -1, 0, 0], [-1, 0, 0, 0, 0], [4, 3, 2, 1, 0]])
    forward_backward(nn.MultiLabelMarginLoss(reduction="sum"),
                     torch.nn.MultiLabelMarginLoss(reduction="sum"), x, labels, ints=(1,))
    a, p, n = (RNG.normal(size=(4, 5)).astype(np.float32) for _ in range(3))
    forward_backward(nn.TripletMarginWithDistanceLoss(
        distance_function=lambda u, v: 1 - F.cosine_similarity(u, v), margin=0.5),
        torch.nn.TripletMarginWithDistanceLoss(
            distance_function=lambda u, v: 1 - TF.cosine_similarity(u, v), margin=0.5), a, p, n)


def test_loss_bad_inputs():
    x = brique.randn(4, 5)
    with pytest.raises(ValueError, match="p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(IndexError, match=r"\[0, 5\)"):
        F.multi_margin_loss(x, brique.tensor([0, 1, 5, 2]))
    with pytest.raises(ValueError, match="does not match"):
        F.multi_margin_loss(x, brique.tensor([0, 1]))
    with pytest.raises(ValueError, match="same"):
        F.multilabel_margin_loss(x, brique.tensor([0, 1]))
    with pytest.raises(TypeError, match="integers"):
        F.multilabel_margin_loss(x, x)
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=0)


def test_pooling_modules_like_torch():
    x1 = RNG.uniform(0.5, 2, (2, 3, 9)).astype(np.float32)
    x2 = RNG.uniform(0.5, 2, (2, 3, 6, 7)).astype(np.float32)
    forward_backward(nn.LPPool1d(2, 3, stride=2), torch.nn.LPPool1d(2, 3, stride=2), x1)
    forward_backward(nn.LPPool2d(1.5, (2, 3), ceil_mode=True),
                     torch.nn.LPPool2d(1.5, (2, 3), ceil_mode=True), x2)
    forward_backward(nn.ChannelShuffle(3), torch.nn.ChannelShuffle(3),
                     RNG.normal(size=(2, 6, 2, 2)).astype(np.float32))
    out, idx = F.max_pool1d_with_indices(brique.tensor(x1), 2)
    tout, tidx = TF.max_pool1d_with_indices(torch.tensor(x1), 2)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    forward_backward(lambda v: nn.MaxUnpool1d(2)(v, idx, output_size=[9]),
                     lambda v: torch.nn.MaxUnpool1d(2)(v, tidx, output_size=[9]), out.numpy())
    a_out, a_idx = F.adaptive_max_pool2d_with_indices(brique.tensor(x2), (2, 3))
    t_out, t_idx = TF.adaptive_max_pool2d_with_indices(torch.tensor(x2), (2, 3))
    np.testing.assert_array_equal(a_idx.numpy(), t_idx.numpy())
    np.testing.assert_allclose(a_out.numpy(), t_out.numpy())
    with pytest.raises(ValueError, match="divisible by groups"):
        F.channel_shuffle(brique.randn(2, 5, 3), 2)
    with pytest.raises(ValueError, match="2-D"):
        F.pdist(brique.randn(2, 3, 4))


# ----------------------------------------------------------------- random and in-place
def test_feature_alpha_dropout_drops_whole_channels():
    layer = nn.FeatureAlphaDropout(0.5)
    out = layer(brique.ones(8, 6, 5)).numpy()
    assert np.allclose(out, out[:, :, :1])          # one value per channel
    assert len(np.unique(out.round(5))) == 2        # kept or dropped
    layer.eval()
    assert np.array_equal(layer(brique.ones(2, 3)).numpy(), np.ones((2, 3)))


def test_gumbel_softmax_hard_is_one_hot_with_soft_gradient():
    logits = brique.randn(4, 5, requires_grad=True)
    y = F.gumbel_softmax(logits, tau=0.5, hard=True)
    values = y.detach().numpy()
    assert np.array_equal(values.sum(1), np.ones(4)) and set(values.ravel()) <= {0.0, 1.0}
    (y * brique.arange(5.0)).sum().backward()
    assert logits.grad.abs().sum().item() > 0
    soft = F.gumbel_softmax(logits, dim=0)
    np.testing.assert_allclose(soft.detach().numpy().sum(0), np.ones(5), rtol=1e-6)


@pytest.mark.parametrize("name,args", [("elu_", ()), ("selu_", ()), ("celu_", (0.5,)),
                                       ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.5)),
                                       ("threshold_", (0.1, 20.0)), ("rrelu_", ())])
def test_inplace_activations_modify_their_input(name, args):
    a = RNG.normal(size=(3, 4)).astype(np.float32)
    b, t = brique.tensor(a), torch.tensor(a)
    assert getattr(F, name)(b, *args) is b
    getattr(TF, name)(t, *args)
    np.testing.assert_allclose(b.numpy(), t.numpy(), rtol=1e-6)
    bl, tl = brique.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    bh, th = bl * 2, tl * 2
    getattr(F, name)(bh, *args)
    getattr(TF, name)(th, *args)
    bh.sum().backward()
    th.sum().backward()
    np.testing.assert_allclose(bl.grad.numpy(), tl.grad.numpy(), rtol=1e-5)
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(F, name)(brique.tensor(a, requires_grad=True), *args)


# ----------------------------------------------------------------- 3-D layers
@pytest.mark.parametrize("kwargs", [dict(padding=1, groups=2),
                                    dict(stride=2, padding=1, padding_mode="reflect"),
                                    dict(padding="same", bias=False, dilation=(1, 2, 1))])
def test_conv3d_like_torch(kwargs):
    t = torch.nn.Conv3d(4, 6, (2, 3, 3), **kwargs)
    b = load(nn.Conv3d(4, 6, (2, 3, 3), **kwargs), t)
    forward_backward(b, t, RNG.normal(size=(2, 4, 5, 6, 6)).astype(np.float32))


def test_pool3d_layers_like_torch():
    x = RNG.normal(size=(2, 3, 5, 6, 7)).astype(np.float32)
    forward_backward(nn.AvgPool3d(3, 2, 1, ceil_mode=True, count_include_pad=False),
                     torch.nn.AvgPool3d(3, 2, 1, ceil_mode=True, count_include_pad=False), x)
    forward_backward(nn.AdaptiveAvgPool3d((2, None, 3)), torch.nn.AdaptiveAvgPool3d((2, None, 3)),
                     x)
    forward_backward(nn.MaxPool3d((2, 3, 2), 2, dilation=(2, 1, 1)),
                     torch.nn.MaxPool3d((2, 3, 2), 2, dilation=(2, 1, 1)), x)
    out, idx = nn.MaxPool3d(2, return_indices=True)(brique.tensor(x[0]))
    t_out, t_idx = torch.nn.MaxPool3d(2, return_indices=True)(torch.tensor(x[0]))
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
    np.testing.assert_allclose(out.numpy(), t_out.numpy())
    with pytest.raises(ValueError, match="5-D"):
        nn.functional.max_pool3d(brique.randn(2, 3, 4), 2)
    with pytest.raises(ValueError, match="too small"):
        nn.functional.avg_pool3d(brique.randn(1, 1, 1, 4, 4), 2)
    with pytest.raises(ValueError, match="channels"):
        nn.functional.conv3d(brique.randn(1, 3, 4, 4, 4), brique.randn(2, 2, 2, 2, 2))


def test_lazy_layers_print_as_pytorch_before_their_first_call():
    for make in (lambda m: m.LazyConv2d(4, 3), lambda m: m.LazyConvTranspose2d(4, 3, stride=2),
                 lambda m: m.LazyLinear(3), lambda m: m.LazyBatchNorm1d()):
        assert repr(make(nn)) == repr(make(torch.nn))
