"""Explanations of a trained model's decisions: which inputs matter, and where.

    from brique import explain
    maps = explain.saliency(model, images, labels)            # like images
    ig = explain.integrated_gradients(model, images, labels)  # sums to f(x) - f(0)
    cam = explain.upsample_cam(explain.grad_cam(model, images, labels, model.features[4]), 28)
    weights = explain.lime(lambda b: model(b).softmax(1), image, label)  # one per 4x4 patch

Each works inside `no_grad()`, in eval mode, on the input's device, and leaves the parameters'
`.grad` untouched.
"""
from .cam import grad_cam, upsample_cam  # noqa: F401
from .gradients import integrated_gradients, saliency, smoothgrad  # noqa: F401
from .lime import lime, patch_segments  # noqa: F401

__all__ = ["saliency", "smoothgrad", "integrated_gradients", "grad_cam", "upsample_cam", "lime",
           "patch_segments"]
