"""Multi-layer perceptron: Linear layers with an activation between them."""
from __future__ import annotations

from .. import nn


class MLP(nn.Sequential):
    """MLP(784, [256], 10): Flatten, then Linear-activation pairs, then a final Linear
    (logits). `dropout` > 0 adds Dropout after each hidden activation.

    Shape: (N, *) with prod(*) = in_features -> (N, out_features).
    """

    def __init__(self, in_features=784, hidden=(256,), out_features=10, activation=nn.ReLU,
                 dropout=0.0):
        layers, width = [nn.Flatten()], in_features
        for h in hidden:
            layers += [nn.Linear(width, h), activation()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, out_features))
        super().__init__(*layers)
