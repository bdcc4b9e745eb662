"""Gradient attributions: which input values the score of a class is most sensitive to.

- saliency (Simonyan et al. 2014): the gradient of the class score with respect to the input.
- SmoothGrad (Smilkov et al. 2017): that gradient averaged over noisy copies of the input,
  which removes much of its pixel-to-pixel noise.
- Integrated gradients (Sundararajan et al. 2017): (x - baseline) times the gradient averaged
  along the straight path from a baseline to x; the attributions sum to
  f(x) - f(baseline) (completeness), up to the error of the Riemann sum.

The score is the model's output for the class (the logit, before any softmax). Each function
works inside `no_grad()`, in eval mode (it switches the model there and back) and on the input's
device, and leaves the parameters' `.grad` untouched.
"""
from __future__ import annotations

from ..autograd import no_grad
from ..creation import randn_like, zeros_like
from ._inspect import check_input, class_scores, input_grad, inspecting, targets


def _score_objective(target, op):
    def objective(model, x):
        return class_scores(model(x), target, op).sum()
    return objective


def saliency(model, x, target):
    """d score[target] / d x for each example: the gradient map of Simonyan et al.

    `target` is a class index per example (an int applies to every example). Display
    `.abs()` (amax over channels for colour images).

    Shape: x (N, ...) -> (N, ...), like x.
    """
    check_input(x, "saliency", 2)
    t = targets(target, x.shape[0], x.device, "saliency")
    with inspecting(model):
        return input_grad(model, x, _score_objective(t, "saliency"))


def smoothgrad(model, x, target, n=50, sigma=0.15):
    """The saliency gradient averaged over `n` copies of x with Gaussian noise added; the
    noise's standard deviation is `sigma` times each example's value range (max - min), the
    scale Smilkov et al. recommend (10-20%).

    Shape: x (N, ...) -> (N, ...), like x.
    """
    check_input(x, "smoothgrad", 2)
    if n < 1 or sigma < 0:
        raise ValueError(f"smoothgrad: needs n >= 1 and sigma >= 0, got n={n}, sigma={sigma}")
    t = targets(target, x.shape[0], x.device, "smoothgrad")
    flat = x.detach().reshape(x.shape[0], -1)
    span = (flat.amax(1) - flat.amin(1)).reshape((-1,) + (1,) * (x.ndim - 1))
    objective = _score_objective(t, "smoothgrad")
    total = zeros_like(x)
    with inspecting(model):
        for _ in range(n):
            noisy = x.detach() + sigma * span * randn_like(x)
            total = total + input_grad(model, noisy, objective)
    return total / n


def integrated_gradients(model, x, target, baseline=None, steps=50):
    """(x - baseline) times the mean gradient at the midpoints of `steps` equal segments of the
    path baseline -> x. The attributions of an example sum to
    score(x) - score(baseline) up to an error that shrinks as `steps` grows.

    baseline: a tensor like x (or broadcastable to it); None is all zeros (a black image).

    Shape: x (N, ...) -> (N, ...), like x.
    """
    check_input(x, "integrated_gradients", 2)
    if steps < 1:
        raise ValueError(f"integrated_gradients: steps must be >= 1, got {steps}")
    t = targets(target, x.shape[0], x.device, "integrated_gradients")
    x = x.detach()
    base = zeros_like(x) if baseline is None else (zeros_like(x) + baseline.detach())
    if tuple(base.shape) != tuple(x.shape):
        raise ValueError(f"integrated_gradients: baseline of shape {tuple(baseline.shape)} "
                         f"does not broadcast to x's shape {tuple(x.shape)}")
    objective = _score_objective(t, "integrated_gradients")
    total = zeros_like(x)
    with inspecting(model):
        for k in range(steps):
            alpha = (k + 0.5) / steps
            total = total + input_grad(model, base + alpha * (x - base), objective)
    with no_grad():
        return (x - base) * total / steps
