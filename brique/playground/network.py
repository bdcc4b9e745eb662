"""The playground's network: fully connected layers of brique, and how it is trained.

As in the TensorFlow Playground, weights start uniform in [-0.5, 0.5] and biases at 0.1, the
two-class output is a tanh neuron fitted to targets -1/+1 with the half squared error, the
regression output is linear, and an epoch visits the training points in their (fixed, shuffled
once) order, one SGD step per batch. Past it, more than two classes use a softmax output and
the cross-entropy.
"""
from __future__ import annotations

import math

import numpy as np

from .. import nn, optim
from ..autograd import no_grad
from ..creation import tensor
from ..nn import functional as F

ACTIVATION_FNS = {"tanh": F.tanh, "relu": F.relu, "sigmoid": F.sigmoid, "linear": lambda h: h}


class PlayNet(nn.Module):
    """`n_in` features -> hidden layers of `sizes` -> `n_out` outputs.

    Shape: x (N, n_in) -> (N, n_out); `output_kind` is "tanh" (two classes), "linear"
    (regression) or "softmax" (more classes: forward returns the logits).
    """

    def __init__(self, n_in, sizes, n_out, activation="tanh", output_kind="tanh", rng=None):
        super().__init__()
        widths = [n_in] + list(sizes) + [n_out]
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(widths, widths[1:])])
        self.activation, self.output_kind = activation, output_kind
        rng = rng if rng is not None else np.random.default_rng(0)
        for layer in self.layers:
            layer.weight.data.copy_(tensor(rng.uniform(-0.5, 0.5, tuple(layer.weight.shape))
                                           .astype(np.float32)))
            layer.bias.data.fill_(0.1)

    def forward(self, x):
        return self.forward_all(x)[-1]

    def forward_all(self, x):
        """Every layer's output after its activation; the last is the network's output
        (tanh'd, linear, or logits for softmax)."""
        act = ACTIVATION_FNS[self.activation]
        outs, h = [], x
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = act(h)
            elif self.output_kind == "tanh":
                h = F.tanh(h)
            outs.append(h)
        return outs

    @property
    def shape(self):
        return [self.layers[0].in_features] + [la.out_features for la in self.layers]


def targets(y, output_kind):
    """Training targets: -1/+1 for a tanh output, class indices for softmax, values otherwise."""
    if output_kind == "tanh":
        return tensor((2 * y - 1).reshape(-1, 1).astype(np.float32))
    if output_kind == "softmax":
        return tensor(y.astype(np.int64))
    return tensor(y.reshape(-1, 1).astype(np.float32))


def data_loss(out, target, output_kind):
    """Half mean squared error (the original's loss), or cross-entropy for softmax."""
    if output_kind == "softmax":
        return F.cross_entropy(out, target)
    return 0.5 * ((out - target) ** 2).mean()


def penalty(net, kind, rate):
    """L1 (rate * sum |w|) or L2 (rate * sum w^2 / 2) on the weights, not the biases."""
    if kind == "none" or rate == 0:
        return None
    terms = [(la.weight.abs().sum() if kind == "l1" else 0.5 * (la.weight ** 2).sum())
             for la in net.layers]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return rate * total


class Trainer:
    """SGD over a fixed training set; `epoch()` is one pass, one step per batch.

    The feature tensors are built once per data/network change and sliced into batches up
    front, so an epoch is a tight loop of forward, backward and step.
    """

    def __init__(self, net, x_train, y_train, batch_size=10, lr=0.03, regularization="none",
                 reg_rate=0.0):
        self.net = net
        self.x, self.y = tensor(x_train), targets(y_train, net.output_kind)
        self.optimizer = optim.SGD(net.parameters(), lr=lr)
        self.configure(batch_size, lr, regularization, reg_rate)

    def configure(self, batch_size, lr, regularization, reg_rate):
        self.optimizer.param_groups[0]["lr"] = lr
        self.regularization, self.reg_rate = regularization, reg_rate
        n = self.x.shape[0]
        self.batches = [(self.x[i:i + batch_size], self.y[i:i + batch_size])
                        for i in range(0, n, batch_size)]

    def epoch(self):
        """One pass over the training set; returns the last batch's data loss."""
        net, kind, opt = self.net, self.net.output_kind, self.optimizer
        loss = None
        for xb, yb in self.batches:
            loss = data_loss(net(xb), yb, kind)
            reg = penalty(net, self.regularization, self.reg_rate)
            opt.zero_grad()
            (loss if reg is None else loss + reg).backward()
            opt.step()
        return float(loss.item()) if loss is not None else math.nan


@no_grad()
def evaluate(net, x, y):
    """(data loss, accuracy or None) of `net` on points `x` with labels `y`."""
    if len(x) == 0:
        return math.nan, None
    out = net(tensor(x))
    loss = float(data_loss(out, targets(y, net.output_kind), net.output_kind).item())
    if net.output_kind == "linear":
        return loss, None
    o = out.numpy()
    pred = o.argmax(1) if net.output_kind == "softmax" else (o[:, 0] > 0).astype(np.int64)
    return loss, float((pred == y.astype(np.int64)).mean())
