"""Class activation maps of a global-average-pooling net, and a fully-convolutional net run as a
sliding window over an image holding several digits.

The courses (000 "Visualizing" and "Localization", 001 "CNNs"; COURSE_MAP section 4) show
where a convolutional net looks. (1) A net that ends in global average pooling and one linear
layer (Zhou et al. 2016) scores class c as the mean over positions of sum_k w_ck A_k(x, y), so
the map sum_k w_ck A_k, the class activation map, says where the evidence for c lies; Grad-CAM
(brique.explain.grad_cam) at the last ReLU gives the same map up to the factor 1/(H W).
Here models.FCN (3x3 convolutions, then a 1x1 convolution to one map per class, then global
average pooling: the same thing) is trained on mnist-5k digits. (2) LeNet-5 written with
convolutions only (its 400-120 layer becomes a 4x4 convolution over the 16 maps of 4x4, the
84 and 10 units 1x1 convolutions; no padding) classifies a 28x28 digit to a 1x1 map of 10
scores; run on a larger image it gives the scores of every 28x28 window at a stride of 4
pixels in one pass (OverFeat's sliding window as convolutions), and reads several digits.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import datasets, explain, models, nn, optim
from brique.train import fit
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register

CANVAS, STRIDE, DIGITS_PER_CANVAS = 96, 4, 3


def _digits(n_train, n_test, seed):
    """mnist-5k as (N, 1, 28, 28) float32 tensors with pixels in [0, 1], and labels."""
    train = datasets.load("mnist-5k", train=True, transform=None)
    test = datasets.load("mnist-5k", train=False, transform=None)
    rng = np.random.default_rng(seed)  # the files are sorted by class: draw subsets
    pick = rng.permutation(len(train.labels))[:n_train]
    test_pick = rng.permutation(len(test.labels))[:n_test]

    def make(images, labels):
        return brique.tensor(images[:, None].astype(np.float32) / 255.0), brique.tensor(labels)
    return (make(train.images[pick], train.labels[pick]) +
            make(test.images[test_pick], test.labels[test_pick]))


def sliding_lenet():
    """LeNet-5 with convolutions only: (N, 1, H, W) -> (N, 10, (H - 28) / 4 + 1, (W - 28) / 4
    + 1) class scores, one per 28x28 window at a stride of 4."""
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 120, 4), nn.ReLU(), nn.Conv2d(120, 84, 1), nn.ReLU(),
                         nn.Conv2d(84, 10, 1))


def train(model, x, y, epochs, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=seed)
    fit(model, loader, epochs=epochs, optimizer=optim.Adam(model.parameters(), lr=2e-3),
        loss="cross_entropy", verbose=0)
    return model.eval()


def class_maps(net, x, target):
    """(CAM (N, 7, 7) from the 1x1 convolution's weights, Grad-CAM at the last ReLU)."""
    last_relu = net.features[7]
    grad_cam = explain.grad_cam(net, x, target, last_relu)
    captured = []
    handle = last_relu.register_forward_hook(lambda m, i, out: captured.append(out))
    with brique.no_grad():
        net(x)
    handle.remove()
    w = net.features[8].weight.detach().numpy()[target, :, 0, 0]  # (N, K)
    cam = np.einsum("nk,nkhw->nhw", w, captured[0].numpy())
    return cam, grad_cam.numpy()


def peak_on_ink(maps, images, tolerance=2):
    """Fraction of maps (upsampled to 28x28) whose maximum lies within `tolerance` pixels of
    an inked pixel (> 0.5) of the digit."""
    up = explain.upsample_cam(brique.tensor(maps.astype(np.float32)), 28).numpy()
    hits = []
    for m, image in zip(up, images):
        r, c = np.unravel_index(np.argmax(m), m.shape)
        window = image[max(r - tolerance, 0):r + tolerance + 1,
                       max(c - tolerance, 0):c + tolerance + 1]
        hits.append(bool((window > 0.5).any()))
    return float(np.mean(hits))


def canvases(images, labels, count, rng):
    """`count` CANVAS x CANVAS black images, each with DIGITS_PER_CANVAS digits at positions
    on the STRIDE grid whose 28x28 boxes do not overlap; returns (canvases, [(row, col,
    label)] per canvas)."""
    out, placed = np.zeros((count, 1, CANVAS, CANVAS), np.float32), []
    for k in range(count):
        boxes = []
        while len(boxes) < DIGITS_PER_CANVAS:
            r, c = STRIDE * rng.integers(0, (CANVAS - 28) // STRIDE + 1, 2)
            if all(abs(r - r2) >= 28 or abs(c - c2) >= 28 for r2, c2, _ in boxes):
                i = int(rng.integers(len(labels)))
                out[k, 0, r:r + 28, c:c + 28] = np.maximum(out[k, 0, r:r + 28, c:c + 28],
                                                           images[i, 0])
                boxes.append((int(r), int(c), int(labels[i])))
        placed.append(boxes)
    return out, placed
