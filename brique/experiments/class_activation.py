"""Class activation maps of a global-average-pooling net, and a fully-convolutional net run as a
sliding window over an image holding several digits.

The courses (000 "Visualizing" and "Localization", 001 "CNNs"; COURSE_MAP section 4) show
where a convolutional net looks. (1) A net that ends in global average pooling and one linear
layer (Zhou et al. 2016) scores class c as the mean over positions of sum_k w_ck A_k(x, y), so
the map sum_k w_ck A_k, the class activation map, says where the evidence for c lies; Grad-CAM
(brique.explain.grad_cam) at the last ReLU gives the same map up to the factor 1/(H W).
Here models.FCN (3x3 convolutions, then a 1x1 convolution to one map per class, then global
average pooling: the same thing) is trained on 28x28 mnist-5k digits and, since no layer fixes
the input size, asked where the digit is in a larger image. (2) LeNet-5 written with
convolutions only (its 400-120 layer becomes a 4x4 convolution over the 16 maps of 4x4, the
84 and 10 units 1x1 convolutions; no padding) classifies a 28x28 digit to a 1x1 map of 10
scores; run on a larger image it gives the scores of every 28x28 window at a stride of 4
pixels in one pass (OverFeat's sliding window as convolutions), and reads several digits.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import explain, models, nn, optim
from brique.train import fit
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register
from ._common import mnist_subset

CANVAS, STRIDE, DIGITS_PER_CANVAS = 96, 4, 3


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
    """(CAM (N, h, w) from the 1x1 convolution's weights, Grad-CAM at the last ReLU)."""
    last_relu, to_classes = net.features[-2], net.features[-1]
    grad_cam = explain.grad_cam(net, x, target, last_relu)
    captured = []
    handle = last_relu.register_forward_hook(lambda m, i, out: captured.append(out))
    with brique.no_grad():
        net(x)
    handle.remove()
    w = to_classes.weight.detach().numpy()[target, :, 0, 0]  # (N, K)
    cam = np.einsum("nk,nkhw->nhw", w, captured[0].numpy())
    return cam, grad_cam.numpy()


def localisation(net, images, labels, rng, side=56):
    """Each digit pasted at a random place of a side x side black image; the fraction whose
    true class's CAM (upsampled) peaks inside the digit's 28x28 box. Returns (fraction,
    pasted images, box corners, upsampled CAMs)."""
    n = len(labels)
    corners = rng.integers(0, side - 28 + 1, (n, 2))
    pasted = np.zeros((n, 1, side, side), np.float32)
    for i, (r, c) in enumerate(corners):
        pasted[i, 0, r:r + 28, c:c + 28] = images[i, 0]
    cam, _ = class_maps(net, brique.tensor(pasted), labels)
    up = explain.upsample_cam(brique.tensor(np.maximum(cam, 0).astype(np.float32)),
                              side).numpy()
    peaks = np.array([np.unravel_index(np.argmax(m), m.shape) for m in up])
    inside = np.all((peaks >= corners) & (peaks < corners + 28), axis=1)
    return float(inside.mean()), pasted[:, 0], corners, up


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


def read_canvases(net, images, placed):
    """Run the sliding net once per canvas. Returns (fraction of digits whose own window is
    classified right, fraction whose class's probability map peaks within one stride of the
    digit's window, largest |difference| between the map and the net run on each crop of the
    first canvas)."""
    with brique.no_grad():
        probs = net(brique.tensor(images)).softmax(1).numpy()  # (N, 10, 18, 18)
    right, found = [], []
    for p, boxes in zip(probs, placed):
        for r, c, label in boxes:
            right.append(int(p[:, r // STRIDE, c // STRIDE].argmax()) == label)
            peak = np.unravel_index(np.argmax(p[label]), p[label].shape)
            found.append(max(abs(peak[0] - r // STRIDE), abs(peak[1] - c // STRIDE)) <= 1)
    side = probs.shape[-1]
    crops = np.stack([images[0, :, STRIDE * i:STRIDE * i + 28, STRIDE * j:STRIDE * j + 28]
                      for i in range(side) for j in range(side)])
    with brique.no_grad():
        windows = net(brique.tensor(crops)).softmax(1).numpy()[:, :, 0, 0]
    gap = float(np.abs(windows - probs[0].reshape(10, -1).T).max())
    return float(np.mean(right)), float(np.mean(found)), gap, probs


@register
class ClassActivation(Experiment):
    name = "class-activation"
    claim = ("The class activation maps of a global-average-pooling conv net trained on 28x28 "
             "mnist-5k digits localise them: with each test digit pasted at a random place of a "
             "56x56 image, its class's map peaks inside the digit's box for at least 90% of "
             "them, and Grad-CAM at the last ReLU equals the CAM / (H W); LeNet-5 written as "
             "convolutions, run once over a 96x96 image holding 3 digits, equals the classifier "
             "slid over every 28x28 window and reads at least 90% of the digits.")

    def run(self, ctx):
        rng = np.random.default_rng(ctx.seed)
        data = np.random.default_rng(ctx.seed)  # mnist-5k is sorted by class: shuffle
        x, y = map(brique.tensor, mnist_subset(True, ctx.size(4000, 1000), data, scale="unit",
                                               pick="permutation"))
        xt, yt = map(brique.tensor, mnist_subset(False, ctx.size(1000, 200), data, scale="unit",
                                                 pick="permutation"))
        epochs, n = ctx.size(6, 4), ctx.size(500, 100)
        gap_net = train(models.FCN(widths=(16, 32, 64)), x, y, epochs, ctx.seed)
        with brique.no_grad():
            predicted = gap_net(xt[:n]).argmax(1).numpy()
        accuracy = float((predicted == yt.numpy()[:n]).mean())
        cam, grad_cam = class_maps(gap_net, xt[:n], predicted)
        cam_gap = float(np.abs(np.maximum(cam, 0) / cam[0].size - grad_cam).max())
        located, pasted, corners, up = localisation(gap_net, xt.numpy()[:n], yt.numpy()[:n], rng)
        slider = sliding_lenet()
        train(nn.Sequential(slider, nn.Flatten()), x, y, epochs, ctx.seed)
        images, placed = canvases(xt.numpy(), yt.numpy(), ctx.size(100, 20), rng)
        right, found, window_gap, probs = read_canvases(slider, images, placed)
        results = {"gap_net_accuracy": accuracy, "cam_localised": located,
                   "grad_cam_vs_cam": cam_gap, "sliding_read_accuracy": right,
                   "sliding_peak_found": found, "sliding_vs_crops": window_gap}
        self.report(ctx, epochs, n, results)
        self.draw_cams(ctx, xt.numpy()[:6, 0], cam[:6], predicted[:6],
                       (pasted[:6], corners[:6], up[:6], yt.numpy()[:6]))
        self.draw_canvas(ctx, images[0, 0], placed[0], probs[0])
        threshold = ctx.size(0.9, 0.7)  # quick: four epochs on 1,000 digits
        held = (located >= threshold and cam_gap < 1e-4 and window_gap < 1e-4 and
                right >= threshold)
        ctx.verdict(held, f"the CAM of the digit's class peaks inside its 28x28 box in a 56x56 "
                    f"image for {100 * located:.1f}% of {n} test digits (threshold "
                    f"{100 * threshold:.0f}%); |Grad-CAM - CAM / (H W)| at most {cam_gap:.1e}; "
                    f"the convolutional LeNet-5 on a 96x96 image differs from it run on each "
                    f"28x28 crop by at most {window_gap:.1e} and reads {100 * right:.1f}% of "
                    f"{len(placed) * DIGITS_PER_CANVAS} digits at their windows (threshold "
                    f"{100 * threshold:.0f}%).")

    def report(self, ctx, epochs, n, results):
        for key, value in results.items():
            ctx.metric(key, value)
        ctx.note(f"Both nets are trained with Adam (lr 0.002, batches of 64, {epochs} epochs) "
                 f"on {ctx.size(4000, 1000)} mnist-5k digits of 28x28, pixels in [0, 1]. GAP "
                 "net: models.FCN(widths=(16, 32, 64)): 3x3 conv 16 - BN - ReLU - pool - conv "
                 "32 - BN - ReLU - pool - conv 64 - BN - ReLU - 1x1 conv to 10 class maps - "
                 "global average pooling; its CAM is the class's map before pooling. Sliding "
                 "net: conv 6@5x5 - pool - conv 16@5x5 - pool - conv 120@4x4 - conv 84@1x1 - "
                 f"conv 10@1x1, no padding; {ctx.size(100, 20)} test images of 96x96 with 3 "
                 "test digits each (boxes apart, on a 4-pixel grid) give 18x18 maps.")
        ctx.table(["check", "value"], [
            ["GAP net test accuracy (28x28)", f"{100 * results['gap_net_accuracy']:.1f}%"],
            ["CAM peak inside the digit's box (56x56 image; chance about 25%)",
             f"{100 * results['cam_localised']:.1f}%"],
            ["max abs(Grad-CAM - CAM / (H W))", f"{results['grad_cam_vs_cam']:.1e}"],
            ["max abs(sliding map - crop by crop)", f"{results['sliding_vs_crops']:.1e}"],
            ["digits read right at their window", f"{100 * results['sliding_read_accuracy']:.1f}%"],
            ["class map peaks within one stride of its digit",
             f"{100 * results['sliding_peak_found']:.1f}%"]])
        ctx.note("The sliding net was trained on centred digits only, with no 'background' "
                 "class: windows astride two digits or on part of one also get confident "
                 "scores (see the maps below), so a class map's peak is not always at "
                 "its digit; the digits are read at their own windows. A detector would add a "
                 "background class and train on shifted and empty windows (OverFeat).")

    def draw_cams(self, ctx, images, cams, predicted, pasted):
        plt = pyplot()
        up = explain.upsample_cam(brique.tensor(np.maximum(cams, 0).astype(np.float32)),
                                  28).numpy()
        fig, axes = plt.subplots(2, len(images), figsize=(1.8 * len(images), 3.9))
        for i, image in enumerate(images):
            axes[0, i].imshow(image, cmap="gray")
            axes[0, i].imshow(up[i], cmap="jet", alpha=0.45)
            axes[0, i].set_title(f"predicted {predicted[i]}", fontsize=8)
        big, corners, maps, labels = pasted
        for i in range(len(images)):
            axes[1, i].imshow(big[i], cmap="gray")
            axes[1, i].imshow(maps[i], cmap="jet", alpha=0.45)
            r, c = corners[i]
            axes[1, i].add_patch(plt.Rectangle((c - 0.5, r - 0.5), 28, 28, fill=False,
                                               ec="white", lw=1))
            axes[1, i].set_title(f"CAM of class {labels[i]}", fontsize=8)
        for ax in axes.ravel():
            ax.axis("off")
        fig.tight_layout()
        ctx.figure(fig, "cam.png", "Top: test digits and the class activation map of the "
                   "predicted class (7x7, upsampled bilinearly). Bottom: digits pasted into "
                   "56x56 images (white box) and their class's CAM (14x14, upsampled).")

    def draw_canvas(self, ctx, image, boxes, probs):
        plt = pyplot()
        fig, axes = plt.subplots(1, 1 + len(boxes), figsize=(3.2 * (1 + len(boxes)), 3.4))
        axes[0].imshow(image, cmap="gray_r")
        for r, c, label in boxes:
            axes[0].add_patch(plt.Rectangle((c - 0.5, r - 0.5), 28, 28, fill=False, ec="tab:red"))
        axes[0].set_title("96x96 input, 3 digits")
        for ax, (r, c, label) in zip(axes[1:], boxes):
            ax.imshow(probs[label], cmap="viridis", vmin=0, vmax=1)
            ax.plot(c / STRIDE, r / STRIDE, "r+", ms=12)
            ax.set_title(f"P(class {label}) per window")
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        fig.tight_layout()
        ctx.figure(fig, "sliding_window.png", "One pass of the convolutional LeNet-5 over a "
                   "96x96 image: for each digit's class, the probability of the 28x28 window at "
                   "each of the 18x18 positions (stride 4); + marks the digit's window.")
