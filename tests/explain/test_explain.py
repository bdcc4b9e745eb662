"""Each explanation against its definition: saliency of a linear model is its weight row,
integrated gradients are complete (sum = f(x) - f(baseline), error shrinking with steps),
Grad-CAM of a GAP + linear head is that head's CAM, LIME finds planted features; and all of them
run under no_grad, in eval mode, without touching the parameters' .grad."""
import numpy as np
import pytest

import brique
import brique.nn as nn
from brique import explain


def _linear(seed=0, d=6, k=3):
    brique.manual_seed(seed)
    return nn.Linear(d, k)


def _mlp(seed=0):
    brique.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))


def test_saliency_of_linear_model_is_weight_row():
    model = _linear()
    x = brique.randn(4, 6)
    target = [0, 2, 1, 2]
    g = explain.saliency(model, x, target)
    assert tuple(g.shape) == (4, 6)
    np.testing.assert_allclose(g.numpy(), model.weight.detach().numpy()[target], rtol=1e-6)


def test_saliency_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    model = _mlp()
    x = brique.randn(3, 5)
    t_model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    t_model.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    tx = torch.tensor(x.numpy(), requires_grad=True)
    t_model(tx)[torch.arange(3), torch.tensor([2, 0, 1])].sum().backward()
    g = explain.saliency(model, x, brique.tensor([2, 0, 1]))
    np.testing.assert_allclose(g.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_smoothgrad_averages_noisy_gradients():
    model = _linear()
    x = brique.randn(2, 6)
    g = explain.smoothgrad(model, x, 1, n=5)  # a linear model's gradient ignores the noise
    np.testing.assert_allclose(g.numpy(), np.repeat(model.weight.detach().numpy()[[1]], 2, 0),
                               rtol=1e-5)
    mlp = _mlp()
    x = brique.randn(2, 5)
    np.testing.assert_allclose(explain.smoothgrad(mlp, x, 0, n=2, sigma=0.0).numpy(),
                               explain.saliency(mlp, x, 0).numpy(), rtol=1e-6)
    noisy = explain.smoothgrad(mlp, x, 0, n=4, sigma=0.3).numpy()
    assert not np.allclose(noisy, explain.saliency(mlp, x, 0).numpy())


def test_integrated_gradients_completeness():
    model = _mlp()
    x = 2 * brique.randn(4, 5)
    baseline = 0.1 * brique.ones(4, 5)
    target = [0, 1, 2, 0]
    with brique.no_grad():
        gap = (model(x) - model(baseline)).numpy()[np.arange(4), target]
    errors = []
    for steps in (2, 8, 64):
        ig = explain.integrated_gradients(model, x, target, baseline=baseline, steps=steps)
        assert tuple(ig.shape) == (4, 5)
        errors.append(np.abs(ig.numpy().sum(1) - gap).max())
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-3 * np.abs(gap).max()


def test_integrated_gradients_of_linear_model_is_exact():
    model = _linear()
    x = brique.randn(3, 6)
    ig = explain.integrated_gradients(model, x, 2, steps=3)  # baseline zeros
    np.testing.assert_allclose(ig.numpy(), x.numpy() * model.weight.detach().numpy()[2],
                               rtol=1e-5, atol=1e-6)


class _GapNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(self.pool(self.conv(x)).flatten(1))


def test_grad_cam_of_gap_net_is_its_class_activation_map():
    brique.manual_seed(0)
    net = _GapNet()
    x = brique.randn(2, 1, 6, 6)
    target = [1, 2]
    cam = explain.grad_cam(net, x, target, net.conv)
    assert tuple(cam.shape) == (2, 6, 6)
    with brique.no_grad():
        a = net.conv(x).numpy()  # the layer's output, (2, 4, 6, 6)
    w = net.fc.weight.detach().numpy()[target]  # (2, 4)
    expected = np.maximum((w[:, :, None, None] * a).sum(1), 0) / 36
    np.testing.assert_allclose(cam.numpy(), expected, rtol=1e-5, atol=1e-7)
    assert (cam.numpy() >= 0).all() and cam.numpy().max() > 0
    up = explain.upsample_cam(cam, 24)
    assert tuple(up.shape) == (2, 24, 24) and (up.numpy() >= 0).all()


def test_grad_cam_rejects_a_layer_without_4d_output():
    net = _GapNet()
    with pytest.raises(ValueError, match="grad_cam"):
        explain.grad_cam(net, brique.randn(1, 1, 6, 6), 0, net.fc)


def test_lime_recovers_planted_features():
    brique.manual_seed(0)
    # class 1's probability grows with features 2 and 7, falls with 5; the others do nothing.
    w = np.zeros(10, np.float32)
    w[[2, 7, 5]] = [3.0, 2.0, -2.5]
    weight = brique.tensor(w)

    def predict(batch):
        p = ((batch * weight).sum(1) - 1.0).sigmoid()
        return brique.stack([1 - p, p], 1)

    coef = explain.lime(predict, brique.ones(10), 1, num_samples=600).numpy()
    assert tuple(coef.shape) == (10,)
    assert coef[2] > coef[7] > 0.05 and coef[5] < -0.05
    others = np.delete(coef, [2, 5, 7])
    assert np.abs(others).max() < 0.2 * min(abs(coef[2]), abs(coef[7]), abs(coef[5]))


def test_lime_on_image_patches_and_given_segments():
    brique.manual_seed(1)

    def predict(batch):  # looks only at the top-left 4x4 patch of channel 0
        p = (batch[:, 0, :4, :4].mean((1, 2)) * 4 - 2).sigmoid()
        return brique.stack([1 - p, p], 1)

    image = brique.ones(2, 8, 8)
    coef = explain.lime(predict, image, 1, num_samples=300, patch_size=4).numpy()
    assert coef.shape == (4,) and int(np.argmax(coef)) == 0
    assert coef[0] > 5 * np.abs(coef[1:]).max()
    labels = np.full((8, 8), 7, np.int64)  # superpixels: bottom-left (7), right half (3),
    labels[:, 4:] = 3  # top-left quadrant (0): segment i is the i-th smallest label
    labels[:4, :4] = 0
    coef = explain.lime(predict, image, 1, num_samples=100, segments=labels).numpy()
    assert coef.shape == (3,) and coef[0] > 0.3 > 0.15 > np.abs(coef[1:]).max()
    with pytest.raises(ValueError, match="segments"):
        explain.lime(predict, image, 1, segments=np.zeros((4, 4), np.int64))


def test_tools_leave_parameters_and_mode_alone():
    brique.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Dropout(0.5),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 2))
    x = brique.rand(2, 1, 5, 5)
    sentinels = []
    for p in net.parameters():
        p.grad = brique.full(p.shape, 7.0)
        sentinels.append(p.grad)
    net.train()
    with brique.no_grad():
        runs = [explain.saliency(net, x, [0, 1]), explain.saliency(net, x, [0, 1]),
                explain.smoothgrad(net, x, 0, n=2),
                explain.integrated_gradients(net, x, 1, steps=2),
                explain.grad_cam(net, x, [1, 0], net[0]),
                explain.lime(lambda b: net(b).softmax(1), x[0], 1, num_samples=20)]
    np.testing.assert_array_equal(runs[0].numpy(), runs[1].numpy())  # eval: no dropout
    assert all(not r.requires_grad for r in runs)
    assert net.training and all(m.training for m in net.modules())
    for p, s in zip(net.parameters(), sentinels):
        assert p.requires_grad and p.grad is s and (p.grad.numpy() == 7.0).all()


def test_bad_targets_are_reported():
    with pytest.raises(ValueError, match="one class index per example"):
        explain.saliency(_linear(), brique.randn(3, 6), [0, 1])
    with pytest.raises(TypeError, match="saliency"):
        explain.saliency(_linear(), np.zeros((3, 6)), 0)
