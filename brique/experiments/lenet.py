"""LeNet-5 on MNIST: the convolutional network of the courses, its test error, what its first
layer learns and what its two convolution layers see.

The courses (000 "Convolutional networks" and "Visualizing", 001 "CNNs", 002 "ConvNets";
COURSE_MAP.md sections 2 and 4) draw LeNet-5: two convolution + pooling stages (6 maps of
5x5 filters, then 16), then 120-84-10 dense layers, trained end to end by backprop; local
connections and shared weights give a digit classifier with about 60k parameters. This
experiment trains brique.models.LeNet5 with brique.train.fit on mnist-5k (or the full MNIST
when its files are in the cache: datasets.load('mnist', download=False)), with the default
recipe of `brique train` (random shifts of up to 2 pixels, SGD with Nesterov momentum and
weight decay, one-cycle learning rate), reports the test error, draws the six 5x5 filters of
the first layer and, for one test digit, the feature maps after each convolution's ReLU,
captured with forward hooks.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import datasets, models, optim
from brique.datasets import DatasetUnavailableError, ImageDataset
from brique.train import LearningRateScheduler, evaluate, fit
from brique.utils.data import DataLoader
from brique.utils.data.transforms import Compose, Normalize, RandomShift, ToTensor

from . import Experiment, pyplot, register

LR, MOMENTUM, WEIGHT_DECAY, BATCH = 0.05, 0.9, 5e-4, 64


def load_digits(ctx):
    """(train images, train labels, test images, test labels, name): full MNIST when its files
    are present, else mnist-5k; quick mode trains on a seeded subset."""
    try:
        train = datasets.load("mnist", download=False, transform=None)
        test = datasets.load("mnist", train=False, download=False, transform=None)
        name = "mnist"
    except DatasetUnavailableError:
        train = datasets.load("mnist-5k", transform=None)
        test = datasets.load("mnist-5k", train=False, transform=None)
        name = "mnist-5k"
    n_train = ctx.size(len(train), min(4000, len(train)))
    n_test = ctx.size(len(test), min(1000, len(test)))
    rng = np.random.default_rng(ctx.seed)
    keep = np.sort(rng.permutation(len(train))[:n_train])
    keep_test = np.sort(rng.permutation(len(test))[:n_test])
    return (train.images[keep], train.labels[keep], test.images[keep_test],
            test.labels[keep_test], name)


@register
class LeNet(Experiment):
    name = "lenet"
    claim = ("LeNet-5 (61,706 parameters) trained 15 epochs on mnist-5k (4,000 images) with "
             "random shifts and one-cycle SGD reaches at least 97% test accuracy (error <= 3%).")

    def run(self, ctx):
        plt = pyplot()
        x, y, xt, yt, data_name = load_digits(ctx)
        # Full MNIST is 15x larger: fewer epochs reach the same point.
        epochs = ctx.size(15 if data_name == "mnist-5k" else 3, 1)
        threshold = ctx.size(0.97, 0.85)
        batch = ctx.size(BATCH, 32)  # one quick epoch needs more, smaller steps
        mean, std = float(x.mean() / 255.0), float(x.std() / 255.0)
        train_set = ImageDataset(x, y, Compose([ToTensor(), RandomShift(2),
                                                Normalize(mean, std)]))
        test_set = ImageDataset(xt, yt, Compose([ToTensor(), Normalize(mean, std)]))
        loader = DataLoader(train_set, batch_size=batch, shuffle=True, generator=ctx.seed)
        test_loader = DataLoader(test_set, batch_size=500)
        model, history = self._train(loader, test_loader, epochs)
        final = evaluate(model, test_loader, "cross_entropy", ["accuracy"])
        accuracy = final["accuracy"]
        n_params = sum(p.numel() for p in model.parameters())
        for key, value in (("dataset", data_name), ("train_samples", len(y)),
                           ("test_samples", len(yt)), ("epochs", epochs),
                           ("parameters", n_params), ("test_accuracy", accuracy),
                           ("test_error", 1.0 - accuracy), ("test_loss", final["loss"]),
                           ("train_loss_per_epoch", history.history["loss"]),
                           ("test_accuracy_per_epoch", history.history["val_accuracy"])):
            ctx.metric(key, value)
        ctx.note(f"LeNet-5 (conv 6@5x5 pad 2, ReLU, max-pool 2, conv 16@5x5, ReLU, max-pool 2, "
                 f"dense 120-84-10) on {data_name}: {len(y)} training and {len(yt)} test "
                 f"images, {epochs} epoch(s), batches of {batch}; SGD with Nesterov momentum "
                 f"{MOMENTUM} and weight decay {WEIGHT_DECAY:g}, one-cycle lr peaking at {LR}, "
                 "random shifts of up to 2 pixels on the training images (the default recipe "
                 "of `brique train`).")
        self._tables(ctx, model, history, final)
        self.draw_curves(ctx, plt, history)
        self.draw_filters(ctx, plt, model)
        self.draw_feature_maps(ctx, plt, model, test_set, yt)
        ctx.verdict(accuracy >= threshold,
                    f"test accuracy {accuracy:.4f} (error {100 * (1 - accuracy):.2f}%) on "
                    f"{len(yt)} {data_name} test images after {epochs} epoch(s) on {len(y)} "
                    f"images; threshold {threshold:.2f}{' (quick mode)' if ctx.quick else ''}; "
                    f"{n_params:,} parameters.")

    def _train(self, loader, test_loader, epochs):
        model = models.LeNet5()
        opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, nesterov=True,
                        weight_decay=WEIGHT_DECAY)
        schedule = optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, epochs=epochs,
                                                 steps_per_epoch=len(loader))
        history = fit(model, loader, test_loader, epochs=epochs, optimizer=opt,
                      loss="cross_entropy", metrics=["accuracy"],
                      callbacks=[LearningRateScheduler(schedule, interval="batch")], verbose=0)
        return model, history

    def _tables(self, ctx, model, history, final):
        n_params = sum(p.numel() for p in model.parameters())
        layers = [("conv1 6@5x5", model.features[0]), ("conv2 16@6x5x5", model.features[3]),
                  ("dense 400-120", model.classifier[1]), ("dense 120-84", model.classifier[3]),
                  ("dense 84-10", model.classifier[5])]
        rows = [[label, sum(p.numel() for p in m.parameters())] for label, m in layers]
        ctx.table(["layer", "parameters"], rows + [["total", n_params]],
                  caption="Parameters per layer: the two convolutions hold 4% of them.")
        ctx.table(["epoch", "train loss", "test accuracy"],
                  [[i + 1, loss, acc] for i, (loss, acc) in
                   enumerate(zip(history.history["loss"], history.history["val_accuracy"]))],
                  caption="Training loss (mean over the epoch, shifted images) and test "
                          "accuracy after each epoch.")
        accuracy = final["accuracy"]
        ctx.table(["test accuracy", "test error", "test loss", "parameters"],
                  [[accuracy, 1.0 - accuracy, final["loss"], n_params]])

    def draw_curves(self, ctx, plt, history):
        epochs = np.arange(1, len(history.epoch) + 1)
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
        ax1.plot(epochs, history.history["loss"], "o-", label="train (shifted images)")
        ax1.plot(epochs, history.history["val_loss"], "o-", label="test")
        ax1.set_yscale("log")
        ax1.set_xlabel("epoch")
        ax1.set_title("cross-entropy")
        ax1.legend()
        ax2.plot(epochs, [100 * (1 - a) for a in history.history["val_accuracy"]], "o-",
                 color="tab:orange")
        ax2.set_yscale("log")
        ax2.yaxis.set_major_formatter(plt.matplotlib.ticker.FormatStrFormatter("%g"))
        ax2.yaxis.set_minor_formatter(plt.matplotlib.ticker.NullFormatter())
        ax2.set_xlabel("epoch")
        ax2.set_title("test error (%)")
        fig.tight_layout()
        ctx.figure(fig, "curves.png", "Training and test loss, and test error, per epoch.")

    def draw_filters(self, ctx, plt, model):
        weights = model.features[0].weight.detach().numpy()[:, 0]  # (6, 5, 5)
        scale = float(np.abs(weights).max())
        fig, axes = plt.subplots(1, 6, figsize=(9, 1.9))
        for i, ax in enumerate(axes):
            im = ax.imshow(weights[i], cmap="RdBu_r", vmin=-scale, vmax=scale)
            ax.set_title(f"filter {i + 1}", fontsize=9)
            ax.axis("off")
        fig.colorbar(im, ax=list(axes), fraction=0.02, pad=0.02)
        ctx.figure(fig, "filters.png", "The six 5x5 filters of the first convolution (red "
                   "positive, blue negative, one colour scale).")

    def draw_feature_maps(self, ctx, plt, model, test_set, labels):
        captured = {}

        def keep(name):
            def hook(module, inputs, output):
                captured[name] = output.detach().numpy()[0]
            return hook
        handles = [model.features[1].register_forward_hook(keep("conv1")),
                   model.features[4].register_forward_hook(keep("conv2"))]
        index = int(np.flatnonzero(np.asarray(labels) == 7)[0]) if (
            np.asarray(labels) == 7).any() else 0
        image, label = test_set[index]
        model.eval()
        with brique.no_grad():
            logits = model(image.unsqueeze(0))
        for h in handles:
            h.remove()
        predicted = int(logits.argmax(1).item())
        ctx.metric("feature_map_digit", {"index": index, "label": int(label),
                                         "predicted": predicted})
        maps1, maps2 = captured["conv1"], captured["conv2"]  # (6, 28, 28), (16, 10, 10)
        fig = plt.figure(figsize=(11, 4.2))
        grid = fig.add_gridspec(3, 9)
        ax = fig.add_subplot(grid[0:2, 0])
        ax.imshow(image.numpy()[0], cmap="gray_r")
        ax.set_title(f"input: {label}\npredicted {predicted}", fontsize=9)
        ax.axis("off")
        for i in range(6):
            ax = fig.add_subplot(grid[0, 1 + i])
            ax.imshow(maps1[i], cmap="viridis")
            ax.set_title(f"conv1 #{i + 1}", fontsize=8)
            ax.axis("off")
        for i in range(16):
            ax = fig.add_subplot(grid[1 + i // 8, 1 + i % 8])
            ax.imshow(maps2[i], cmap="viridis")
            ax.set_title(f"conv2 #{i + 1}", fontsize=8)
            ax.axis("off")
        ctx.figure(fig, "feature_maps.png", f"Feature maps after the ReLU of each convolution "
                   f"for test digit #{index} (a {label}): 6 maps of 28x28 after conv1, 16 maps "
                   "of 10x10 after conv2 (forward hooks).")
