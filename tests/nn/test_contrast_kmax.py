"""nn.LocalContrastNorm against a direct NumPy reference (loops over each pixel's
neighbourhood) and its gradient against the same formula in torch; k-max pooling against a
torch.topk-based reference, values and gradients."""
import numpy as np
import pytest
import torch

import brique
import brique.nn as nn
import brique.nn.functional as F


def lcn_reference(x, size, sigma, eps):
    """Jarrett et al.'s LCN on one (C, H, W) image, written pixel by pixel."""
    c, h, w = x.shape
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma ** 2))
    half = size // 2

    def local_mean(a):
        out = np.zeros((h, w))
        for i in range(h):
            for j in range(w):
                total = weight = 0.0
                for p in range(size):
                    for q in range(size):
                        ii, jj = i + p - half, j + q - half
                        if 0 <= ii < h and 0 <= jj < w:
                            total += g[p, q] * a[:, ii, jj].sum()
                            weight += g[p, q] * c
                out[i, j] = total / weight
        return out
    v = x - local_mean(x)[None]
    std = np.sqrt(local_mean(v * v) + eps ** 2)
    return v / np.maximum(std, std.mean())[None]


def lcn_torch(x, size, sigma, eps):
    c, h, w = x.shape[1:]
    r = torch.arange(size, dtype=x.dtype) - (size - 1) / 2
    g = torch.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma ** 2))
    k = (g / (g.sum() * c)).expand(1, c, size, size)
    inside = torch.nn.functional.conv2d(torch.ones(1, c, h, w, dtype=x.dtype), k, padding=size // 2)
    v = x - torch.nn.functional.conv2d(x, k, padding=size // 2) / inside
    std = (torch.nn.functional.conv2d(v * v, k, padding=size // 2) / inside + eps ** 2).sqrt()
    return v / torch.maximum(std, std.mean(dim=(1, 2, 3), keepdim=True))


@pytest.mark.parametrize("size,sigma", [(5, None), (3, 2.0), (7, 1.0)])
def test_local_contrast_norm_matches_the_pixel_by_pixel_reference(size, sigma):
    rng = np.random.default_rng(size)
    x = rng.normal(size=(2, 3, 8, 9)) * rng.uniform(0.1, 3, size=(2, 3, 1, 1))
    y = nn.LocalContrastNorm(size, sigma)(brique.tensor(x)).numpy()
    for n in range(2):
        np.testing.assert_allclose(y[n], lcn_reference(x[n], size, sigma or size / 4, 1e-4),
                                   rtol=1e-9, atol=1e-10)
    y32 = F.local_contrast_norm(brique.tensor(x[0].astype(np.float32)), size, sigma)
    assert y32.dtype == brique.float32 and y32.shape == (3, 8, 9)
    np.testing.assert_allclose(y32.numpy(), y[0], rtol=1e-4, atol=1e-4)


def test_local_contrast_norm_gradient_matches_torch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 2, 7, 6))
    g = rng.normal(size=x.shape)
    bx, tx = brique.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    by, ty = F.local_contrast_norm(bx, 5), lcn_torch(tx, 5, 5 / 4, 1e-4)
    np.testing.assert_allclose(by.detach().numpy(), ty.detach().numpy(), rtol=1e-9, atol=1e-12)
    by.backward(brique.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(bx.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_local_contrast_norm_equalises_contrast_above_the_floor():
    # a texture of spread 3 on the left, 9 on the right, a flat band of brightness 5 between:
    # both textures exceed the map's mean local spread (the floor), so both come out with
    # about unit spread, and the flat band stays flat
    rng = np.random.default_rng(1)
    x = np.full((1, 24, 64), 5.0)
    x[0, :, :12] = 3 * rng.normal(size=(24, 12))
    x[0, :, 52:] = 9 * rng.normal(size=(24, 12)) - 4
    y = nn.LocalContrastNorm(9)(brique.tensor(x)).numpy()[0]
    left, right = y[4:20, 2:10].std(), y[4:20, 54:62].std()
    assert 0.8 < right / left < 1.25 and 0.6 < left < 1.4, (left, right)
    assert np.abs(y[:, 28:36]).max() < 1e-6


def test_local_contrast_norm_bad_input():
    with pytest.raises(ValueError, match=r"local_contrast_norm.*\(4, 4\)"):
        F.local_contrast_norm(brique.zeros(4, 4))
    with pytest.raises(ValueError, match="odd"):
        F.local_contrast_norm(brique.zeros(1, 1, 4, 4), size=4)
    with pytest.raises(ValueError):
        nn.LocalContrastNorm()(brique.zeros(4, 4))


def kmax_reference(x, k, dim):
    idx = torch.topk(x, k, dim=dim).indices.sort(dim=dim).values
    return x.gather(dim, idx)


@pytest.mark.parametrize("shape,k,dim", [((2, 3, 10), 4, -1), ((2, 7, 5), 3, 1), ((6,), 6, 0),
                                          ((3, 4, 5, 6), 2, 2)])
def test_k_max_pool_matches_a_topk_reference(shape, k, dim):
    rng = np.random.default_rng(len(shape) + k)
    x = rng.permutation(np.prod(shape)).reshape(shape).astype(np.float64)  # no ties
    g = rng.normal(size=kmax_reference(torch.tensor(x), k, dim).shape)
    bx, tx = brique.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    by, ty = nn.KMaxPool(k, dim)(bx), kmax_reference(tx, k, dim)
    np.testing.assert_array_equal(by.detach().numpy(), ty.detach().numpy())
    by.backward(brique.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(bx.grad.numpy(), tx.grad.numpy())


def test_k_max_pool_keeps_the_original_order():
    x = brique.tensor([[3.0, 9.0, 1.0, 7.0, 8.0, 2.0]])
    assert F.k_max_pool(x, 3).tolist() == [[9.0, 7.0, 8.0]]


def test_k_max_pool_bad_arguments():
    x = brique.zeros(2, 5)
    with pytest.raises(ValueError, match=r"k_max_pool: k must be an int in \[1, 5\]"):
        F.k_max_pool(x, 6)
    with pytest.raises(ValueError, match="dim 2 is out of range"):
        F.k_max_pool(x, 2, dim=2)
