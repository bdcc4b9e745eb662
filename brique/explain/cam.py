"""Class activation maps: where in an image a convolutional layer found evidence for a class.

Grad-CAM (Selvaraju et al. 2017) weighs each channel k of a layer's output A by the spatial mean
of d score[target] / d A_k and keeps the positive part of the weighted sum,
relu(sum_k alpha_k A_k). For a network that ends in global average pooling and one linear layer
(the CAM of Zhou et al. 2016), alpha_k is that layer's weight for (target, k) divided by H*W, so
Grad-CAM is CAM up to that constant.
"""
from __future__ import annotations

from ..autograd import grad, no_grad
from ..nn import functional as F
from ._inspect import check_input, class_scores, inspecting, targets


def grad_cam(model, x, target, layer):
    """Non-negative class activation maps at `layer`'s resolution.

    layer: a submodule of `model` whose output is 4-D (N, C, H, W) (its last convolution or
    activation, typically). The maps are not rescaled: divide by their max to display them,
    or upsample them to the input with `upsample_cam`.

    Shape: x (N, C_in, H_in, W_in) -> (N, H, W).
    """
    check_input(x, "grad_cam", 2)
    t = targets(target, x.shape[0], x.device, "grad_cam")
    captured = []

    def keep(module, inputs, output):
        captured.append(output)

    handle = layer.register_forward_hook(keep)
    try:
        with inspecting(model):
            # x records a graph so that the layer's output does even with frozen parameters.
            scores = class_scores(model(x.detach().requires_grad_()), t, "grad_cam")
            if len(captured) != 1 or captured[0].ndim != 4:
                shapes = [tuple(a.shape) for a in captured]
                raise ValueError("grad_cam: `layer` must run once per forward and return a 4-D "
                                 f"(N, C, H, W) output; its outputs had shapes {shapes}")
            (g,) = grad(scores.sum(), captured[0])
    finally:
        handle.remove()
    with no_grad():
        weights = g.mean(dim=(2, 3), keepdim=True)  # (N, C, 1, 1)
        return (weights * captured[0].detach()).sum(1).relu()


def upsample_cam(maps, size, mode="bilinear"):
    """Resize maps (N, h, w) to size (H, W) (an int for square images) for overlaying on the
    input; bilinear interpolation keeps them non-negative.

    Shape: (N, h, w) -> (N, H, W).
    """
    if maps.ndim != 3:
        raise ValueError(f"upsample_cam: expected maps of shape (N, h, w), got "
                         f"{tuple(maps.shape)}")
    size = (size, size) if isinstance(size, int) else tuple(size)
    kwargs = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
    with no_grad():
        return F.interpolate(maps.unsqueeze(1), size=size, mode=mode, **kwargs)[:, 0]
