"""The explanations and attacks on a CUDA GPU give the CPU's results. Skipped without one."""
import numpy as np
import pytest

import brique
import brique.nn as nn
from brique import attacks, explain

pytestmark = pytest.mark.skipif(not brique.cuda.is_available(),
                                reason="needs CuPy and a CUDA GPU")


def _both():
    brique.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(4, 3))
    gpu = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(4, 3))
    gpu.load_state_dict(net.state_dict())
    return net, gpu.to("cuda")


def test_same_results_on_gpu():
    net, gpu = _both()
    x, y = brique.rand(3, 1, 6, 6), brique.tensor([0, 2, 1])
    xg, yg = x.to("cuda"), y.to("cuda")
    pairs = [(explain.saliency(net, x, y), explain.saliency(gpu, xg, yg)),
             (explain.integrated_gradients(net, x, y, steps=4),
              explain.integrated_gradients(gpu, xg, yg, steps=4)),
             (explain.grad_cam(net, x, y, net[0]), explain.grad_cam(gpu, xg, yg, gpu[0])),
             (attacks.fgsm(net, x, y, 0.1), attacks.fgsm(gpu, xg, yg, 0.1)),
             (attacks.pgd(net, x, y, 0.1, 0.05, 3), attacks.pgd(gpu, xg, yg, 0.1, 0.05, 3))]
    for cpu, cuda in pairs:
        assert cuda.device.type == "cuda"
        np.testing.assert_allclose(cuda.cpu().numpy(), cpu.numpy(), rtol=1e-4, atol=1e-5)
    sg = explain.smoothgrad(gpu, xg, yg, n=3)
    assert sg.device.type == "cuda" and tuple(sg.shape) == (3, 1, 6, 6)
    weights = explain.lime(lambda b: gpu(b).softmax(1), xg[0], 1, num_samples=50,
                           patch_size=3)
    assert tuple(weights.shape) == (4,) and np.isfinite(weights.numpy()).all()
