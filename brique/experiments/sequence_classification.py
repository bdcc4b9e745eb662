"""Many-to-one: reading an image row by row.

The courses' many-to-one recurrent network reads a whole sequence and answers once, from its
last state. Here the sequence is an mnist-5k digit read as 28 rows of 28 pixels, top to
bottom: a GRU (and an LSTM) classify from the state after the last row. Two references on
the same rows:
* a 1-D convolutional net (convolutions along the row axis, then max over positions), which
  sees order only locally;
* orderless pooling: a per-row MLP whose outputs are averaged and maxed over the rows, so
  that shuffling the rows changes nothing; it shows how much of the answer needs the order.

Training: 4,000 mnist-5k images (pixels standardized), Adam with cosine decay, batch 64,
each batch shifted by up to 2 pixels at random (augmentation); test on the 1,000 others.
The quick run reads scikit-learn's 8x8 digits (8 rows of 8 pixels) instead.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import datasets, nn, optim
from brique.models import RNNClassifier
from brique.nn import functional as F

from . import Experiment, pyplot, register
from ._common import mnist_subset, predict_classes, train_steps

MEAN_STD = (0.1307, 0.3081)


class Conv1dRows(nn.Module):
    """Rows as a length-28 sequence of 28 channels: two conv layers, max over positions."""

    def __init__(self, pixels=28, width=64):
        super().__init__()
        self.conv1 = nn.Conv1d(pixels, width, 3, padding=1)
        self.conv2 = nn.Conv1d(width, 2 * width, 3, padding=1)
        self.pool = nn.MaxPool1d(2)
        self.head = nn.Linear(2 * width, 10)

    def forward(self, x):                      # (N, 28 rows, 28 pixels)
        h = self.pool(F.relu(self.conv1(x.transpose(1, 2))))
        h = F.relu(self.conv2(h))
        return self.head(h.max(2)[0])


class OrderlessRows(nn.Module):
    """A per-row MLP, then mean and max over the rows: blind to the rows' order."""

    def __init__(self, pixels=28, width=128):
        super().__init__()
        self.row = nn.Sequential(nn.Linear(pixels, width), nn.ReLU(), nn.Linear(width, width),
                                 nn.ReLU())
        self.head = nn.Linear(2 * width, 10)

    def forward(self, x):
        h = self.row(x)
        return self.head(brique.cat([h.mean(1), h.max(1)[0]], 1))


def _shift(batch, rng, background, k=2):
    """The batch moved by the same random (dy, dx) in [-k, k], the border filled."""
    if k == 0:
        return batch
    dy, dx = rng.integers(-k, k + 1, size=2)
    out = np.full_like(batch, background)
    H, W = batch.shape[1:]
    src = batch[:, max(0, -dy):H - max(0, dy), max(0, -dx):W - max(0, dx)]
    out[:, max(0, dy):max(0, dy) + src.shape[1], max(0, dx):max(0, dx) + src.shape[2]] = src
    return out


def train_rows(model, x, y, xt, yt, epochs, seed, lr=2e-3, batch=64, shift=2):
    """Adam with cosine decay and shift augmentation; returns test accuracy per epoch."""
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    rng, accs, bg = np.random.default_rng(seed), [], float(x.min())
    for _ in range(epochs):
        p = rng.permutation(len(x))
        batches = ((_shift(x[p[i:i + batch]], rng, bg, shift), y[p[i:i + batch]])
                   for i in range(0, len(x), batch))
        train_steps(model, batches, F.cross_entropy, opt)
        sched.step()
        accs.append(float((predict_classes(model, xt) == yt).mean()))
    return accs


def _mnist(seed):
    rng = np.random.default_rng(seed)
    x, y = mnist_subset(True, None, rng, scale=MEAN_STD)
    xt, yt = mnist_subset(False, None, rng, scale=MEAN_STD)
    return x.reshape(-1, 28, 28), y, xt.reshape(-1, 28, 28), yt


def _digits():
    """The quick run's stand-in: scikit-learn's 8x8 digits, 8 rows of 8 pixels."""
    parts = [datasets.load("digits", train=t, transform=None) for t in (True, False)]
    (x, y), (xt, yt) = [((p.images / 16.0 - 0.3).astype(np.float32), p.labels) for p in parts]
    return x, y, xt, yt


@register
class SequenceClassification(Experiment):
    name = "sequence-classification"
    claim = ("Reading mnist-5k digits row by row, a GRU and an LSTM reach >= 97% test accuracy "
             "from their last state, a 1-D conv net on the rows does as well, and orderless "
             "pooling of the rows, blind to their order, stays clearly below.")

    def run(self, ctx):
        x, y, xt, yt = _digits() if ctx.quick else _mnist(ctx.seed)
        P = x.shape[2]
        epochs, hidden = ctx.size(25, 5), ctx.size(192, 64)
        makers = {"GRU": lambda: RNNClassifier(P, hidden, 10, cell="gru"),
                  "LSTM": lambda: RNNClassifier(P, hidden, 10, cell="lstm"),
                  "1-D conv": lambda: Conv1dRows(P), "orderless pooling": lambda: OrderlessRows(P)}
        curves = {}
        for label, make in makers.items():
            brique.manual_seed(ctx.seed)
            curves[label] = train_rows(make(), x, y, xt, yt, epochs, ctx.seed,
                                       lr=ctx.size(2e-3, 1e-2), shift=ctx.size(2, 0),
                                       batch=ctx.size(64, 32))
        self._report(ctx, curves, len(x), len(xt), epochs, hidden)

    def _report(self, ctx, curves, n_train, n_test, epochs, hidden):
        final = {k: v[-1] for k, v in curves.items()}
        ctx.metric("accuracy", final)
        ctx.metric("curves", curves)
        ctx.metric("epochs", epochs)
        ctx.table(["model", "test accuracy", "best epoch's"],
                  [[k, final[k], max(v)] for k, v in curves.items()],
                  caption=f"{n_train} training / {n_test} test images, {epochs} epochs; GRU and "
                          f"LSTM with {hidden} units, one layer")
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for k, v in curves.items():
            ax.plot(np.arange(1, epochs + 1), v, "o-", ms=3, label=k)
        ax.set(xlabel="epoch", ylabel="test accuracy", ylim=(0.5, 1.0))
        ax.legend(fontsize=8)
        fig.tight_layout()
        ctx.figure(fig, "accuracy.png", "test accuracy per epoch of the row readers")
        target = ctx.size(0.97, 0.85)
        recurrent = min(final["GRU"], final["LSTM"])
        held = (recurrent >= target and final["1-D conv"] >= target
                and final["orderless pooling"] < recurrent - 0.02)
        ctx.verdict(held, f"GRU {final['GRU']:.3f}, LSTM {final['LSTM']:.3f}, 1-D conv "
                          f"{final['1-D conv']:.3f}, orderless pooling "
                          f"{final['orderless pooling']:.3f} (target {target}).")
