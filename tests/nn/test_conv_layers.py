"""Conv and pooling modules against PyTorch's, loaded with the same weights."""
import numpy as np
import pytest
import torch

import brique
import brique.nn as nn

RTOL = {torch.float64: 1e-6, torch.float32: 1e-4}


def compare(bmod, tmod, shape, dtype, extra_inputs=()):
    tmod = tmod.to(dtype)
    bmod.to(brique.float64 if dtype == torch.float64 else brique.float32)
    bmod.load_state_dict({k: v.detach().numpy() for k, v in tmod.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(shape)
    xt = torch.tensor(x, dtype=dtype, requires_grad=True)
    xb = brique.tensor(x, dtype=brique.float64 if dtype == torch.float64 else brique.float32,
                       requires_grad=True)
    yt, yb = tmod(xt, *extra_inputs[0]) if extra_inputs else tmod(xt), \
        bmod(xb, *extra_inputs[1]) if extra_inputs else bmod(xb)
    rtol = RTOL[dtype]
    np.testing.assert_allclose(yb.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=rtol)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g, dtype=dtype))
    yb.backward(brique.tensor(g, dtype=yb.dtype))
    np.testing.assert_allclose(xb.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=rtol)
    for (name, pb), (_, pt) in zip(bmod.named_parameters(), tmod.named_parameters()):
        np.testing.assert_allclose(pb.grad.numpy(), pt.grad.numpy(), rtol=rtol, atol=rtol * 10,
                                   err_msg=name)


CONVS = [
    ("Conv2d", (3, 4, 3), {}, (2, 3, 9, 8)),
    ("Conv2d", (3, 4, (3, 2)), dict(stride=2, padding=1), (2, 3, 9, 8)),
    ("Conv2d", (4, 6, 3), dict(padding="same", dilation=2, groups=2), (2, 4, 9, 8)),
    ("Conv2d", (2, 4, 3), dict(padding=2, bias=False, padding_mode="reflect"), (1, 2, 7, 7)),
    ("Conv2d", (2, 4, 3), dict(padding=1, padding_mode="circular"), (1, 2, 6, 5)),
    ("Conv2d", (1, 6, 5), dict(padding=2), (3, 1, 12, 12)),
    ("Conv1d", (3, 5, 3), dict(stride=2, padding=1), (2, 3, 11)),
    ("Conv1d", (4, 4, 3), dict(padding="same", groups=4), (2, 4, 10)),
    ("ConvTranspose2d", (4, 3, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 5, 5)),
    ("ConvTranspose2d", (4, 2, 2), dict(stride=2, groups=2, bias=False), (1, 4, 3, 4)),
    ("ConvTranspose1d", (3, 2, 4), dict(stride=2, padding=1), (2, 3, 6)),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name,args,kwargs,shape", CONVS)
def test_conv_modules_match_pytorch(name, args, kwargs, shape, dtype):
    compare(getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs),
            shape, dtype)


POOLS = [
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 9, 8)),
    ("MaxPool1d", (2,), {}, (2, 3, 8)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 9, 8)),
    ("AvgPool1d", (2,), {}, (2, 3, 8)),
    ("AdaptiveAvgPool2d", ((3, 2),), {}, (2, 3, 9, 8)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 5, 5)),
    ("Upsample", (), dict(scale_factor=2, mode="nearest"), (1, 2, 3, 4)),
    ("Upsample", (), dict(size=(5, 7), mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    ("Upsample", (), dict(scale_factor=2, mode="bilinear", align_corners=False), (1, 2, 3, 4)),
    ("PixelShuffle", (2,), {}, (2, 8, 3, 3)),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name,args,kwargs,shape", POOLS)
def test_pool_modules_match_pytorch(name, args, kwargs, shape, dtype):
    compare(getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs),
            shape, dtype)
    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))


def test_max_unpool_inverts_pool_positions():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    tp, tu = torch.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxUnpool2d(2)
    bp, bu = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    yt, it = tp(torch.tensor(x))
    yb, ib = bp(brique.tensor(x, dtype=brique.float64))
    np.testing.assert_array_equal(ib.numpy(), it.numpy())
    np.testing.assert_allclose(bu(yb, ib).numpy(), tu(yt, it).numpy())


def test_default_conv_init_bounds():
    brique.manual_seed(0)
    conv = nn.Conv2d(6, 16, 5)
    bound = 1 / np.sqrt(6 * 25)
    w = conv.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound


def test_conv_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"Conv2d\(3, 16, kernel_size=\(5, 5\).*3 channels.*"
                                         r"\(8, 1, 28, 28\)"):
        nn.Conv2d(3, 16, 5)(brique.randn(8, 1, 28, 28))
    with pytest.raises(ValueError, match="rank"):
        nn.Conv2d(3, 16, 5)(brique.randn(3, 28))
    with pytest.raises(ValueError, match="MaxPool2d.*rank"):
        nn.MaxPool2d(2)(brique.randn(28))
