"""A small AlexNet (Krizhevsky et al., 2012) for digits: five conv layers in three stages, the
first two followed by a normalization and max pooling, then a dropout-regularized classifier."""
from __future__ import annotations

from .. import nn
from ..nn import init


class AlexNet(nn.Module):
    """conv 5x5 - ReLU - norm - pool - conv 3x3 - ReLU - norm - pool - 3 x (conv 3x3 - ReLU) -
    pool - dropout - Linear - ReLU - dropout - Linear - ReLU - Linear.

    Convolutions and the hidden Linear layers get He initialization (kaiming normal, zero
    biases): with PyTorch's default init the signal shrinks through the eight layers and the
    net starts slowly.

    `widths=(c1, c2, c3)` are the channels of the stages (AlexNet's 96, 256, 384 scaled down),
    `hidden` the width of the two fully-connected layers, `norm` 'lrn' (the 2012 local response
    normalization), 'batch' (BatchNorm2d) or None, `dropout` the classifier's drop probability.

    Shape: (N, in_channels, image_size, image_size) -> (N, num_classes) logits; 28x28 digits
    by default, `in_channels=3, image_size=32` for CIFAR-sized images (any size >= 8).
    """

    def __init__(self, num_classes=10, in_channels=1, image_size=28, widths=(32, 64, 96),
                 hidden=256, norm="lrn", dropout=0.5):
        super().__init__()
        c1, c2, c3 = widths
        side = image_size // 2 // 2 // 2
        if side < 1:
            raise ValueError(f"AlexNet needs images of at least 8x8 pixels, got {image_size}")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 5, padding=2), nn.ReLU(), _norm(norm, c1), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), _norm(norm, c2), nn.MaxPool2d(2),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(),
            nn.Conv2d(c3, c3, 3, padding=1), nn.ReLU(),
            nn.Conv2d(c3, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(c2 * side * side, hidden), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, num_classes))
        _he_init(self)

    def forward(self, x):
        return self.classifier(self.features(x))


def _norm(kind, channels):
    if kind == "lrn":
        return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)  # the 2012 paper's values
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind is None:
        return nn.Identity()
    raise ValueError(f"AlexNet: norm must be 'lrn', 'batch' or None, got {kind!r}")


def _he_init(model):
    """He (kaiming normal) weights and zero biases for every ReLU layer: all convolutions and
    Linear layers but the last."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    for m in layers[:-1]:
        init.kaiming_normal_(m.weight, nonlinearity="relu")
        if m.bias is not None:
            init.zeros_(m.bias)
