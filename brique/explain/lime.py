"""LIME (Ribeiro et al. 2016): explain one prediction by a linear model fitted around it.

The input is cut into segments (the features of a 1-D input; square patches or given
superpixels of an image). Random subsets of segments are switched off (set to `fill`), the
model scores each perturbed copy, and a ridge regression, weighted by how close each copy is to
the original (an exponential kernel on the cosine distance of the on/off vectors), predicts that
score from which segments were on. Its coefficients are the explanation: how much each segment
adds to the probability of the class.

The model runs on brique tensors on x's device; the masks and the small ridge fit are host-side
NumPy (a few hundred numbers per sample).
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..creation import from_numpy, tensor
from ..ops.movement import cat
from ..tensor import Tensor


def patch_segments(height, width, size):
    """Segment labels (height, width) cutting an image into size x size patches, row by row
    (the last row/column of patches is smaller when size does not divide the side)."""
    if size < 1:
        raise ValueError(f"patch_segments: size must be >= 1, got {size}")
    per_row = -(-width // size)
    rows = np.arange(height)[:, None] // size
    cols = np.arange(width)[None, :] // size
    return rows * per_row + cols


def lime(predict_fn, x, target, num_samples=1000, segments=None, *, patch_size=4, fill=0.0,
         kernel_width=0.25, alpha=1.0, batch_size=250):
    """One weight per segment: the ridge coefficients of the local linear surrogate of
    predict_fn(.)[:, target] around x.

    predict_fn: a brique batch -> class probabilities (N, classes). x: one example, without a
    batch dimension: (D,) features, or an image (H, W) or (C, H, W). segments: integer labels
    shaped like x (1-D) or (H, W) (images); None gives one segment per feature, or
    `patch_size` square patches (see `patch_segments`). Segment i is the i-th smallest label.
    fill: the value of a switched-off segment (a number, or a tensor like x: a blurred or mean
    image). Draws from brique's random generator (`brique.manual_seed`).

    Shape: x (D,) or (H, W) or (C, H, W) -> (number of segments,).
    """
    if not isinstance(x, Tensor) or x.ndim not in (1, 2, 3):
        raise ValueError("lime: x must be one example as a Tensor of shape (D,), (H, W) or "
                         f"(C, H, W), got {getattr(x, 'shape', type(x).__name__)}")
    if num_samples < 2:
        raise ValueError(f"lime: num_samples must be >= 2, got {num_samples}")
    labels = _labels(x, segments, patch_size)
    ids, inverse = np.unique(labels, return_inverse=True)
    inverse = inverse.reshape(labels.shape)
    on = _draw(num_samples, len(ids))
    probs = _scores(predict_fn, x, target, on, inverse, fill, batch_size)
    distance = 1.0 - np.sqrt(on.sum(1) / len(ids))  # cosine distance to the all-on vector
    weights = np.exp(-(distance ** 2) / kernel_width ** 2)
    return tensor(_ridge(on, probs, weights, alpha).astype(np.float32))


def _labels(x, segments, patch_size):
    shape = tuple(x.shape) if x.ndim == 1 else tuple(x.shape[-2:])
    if segments is None:
        if x.ndim == 1:
            return np.arange(shape[0])
        return patch_segments(shape[0], shape[1], patch_size)
    labels = backend.to_numpy(segments._data) if isinstance(segments, Tensor) else \
        np.asarray(segments)
    if labels.shape != shape or labels.dtype.kind not in "iu":
        raise ValueError(f"lime: segments must be integer labels of shape {shape}, got "
                         f"{labels.dtype} of shape {labels.shape}")
    return labels


def _draw(num_samples, d):
    """On/off vectors (num_samples, d): the first all on, then, as in LIME, a uniform number
    1..d of segments switched off at random."""
    rng = backend.rng()
    on = np.ones((num_samples, d))
    for row in on[1:]:
        row[rng.permutation(d)[:rng.integers(1, d + 1)]] = 0.0
    return on


def _scores(predict_fn, x, target, on, inverse, fill, batch_size):
    base = x.detach()
    fill = fill.detach().to(device=x.device) if isinstance(fill, Tensor) else fill
    out = []
    with no_grad():
        for start in range(0, len(on), batch_size):
            masks = on[start:start + batch_size][:, inverse].astype(np.float32)
            m = from_numpy(masks).to(device=x.device)
            if x.ndim == 3:
                m = m.unsqueeze(1)  # every channel of a pixel together
            probs = predict_fn(base * m + fill * (1.0 - m))
            if probs.ndim != 2:
                raise ValueError("lime: predict_fn must return probabilities of shape "
                                 f"(N, classes), got {tuple(probs.shape)}")
            out.append(probs[:, int(target)])
    return backend.to_numpy(cat(out, 0)._data).astype(np.float64)


def _ridge(z, y, w, alpha):
    """Weighted ridge regression, min sum_i w_i (y_i - b - z_i.beta)^2 + alpha |beta|^2, with an
    unpenalised intercept b; returns beta."""
    z_mean, y_mean = (w @ z) / w.sum(), (w @ y) / w.sum()
    zc, yc = z - z_mean, y - y_mean
    gram = zc.T @ (w[:, None] * zc) + alpha * np.eye(z.shape[1])
    return np.linalg.solve(gram, zc.T @ (w * yc))
