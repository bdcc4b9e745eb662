"""Network in Network (Lin, Chen and Yan, 2013): each "mlpconv" block is a spatial convolution
followed by 1x1 convolutions (a small MLP slid over the image); the last block outputs one map
per class and global average pooling turns the maps into logits: no fully-connected layer."""
from __future__ import annotations

from .. import nn
from ..nn import init


def mlpconv(in_channels, out_channels, kernel_size, padding, depth=2, batch_norm=False):
    """conv kxk - [BN] - ReLU, then `depth` x (conv 1x1 - [BN] - ReLU).

    Shape: (N, in_channels, H, W) -> (N, out_channels, H', W') as the kxk conv gives."""
    layers, channels = [], in_channels
    for k, p in [(kernel_size, padding)] + [(1, 0)] * depth:
        layers.append(nn.Conv2d(channels, out_channels, k, padding=p, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU())
        channels = out_channels
    return nn.Sequential(*layers)


class NiN(nn.Module):
    """mlpconv(5x5, c1) - pool - dropout - mlpconv(3x3, c2) - pool - dropout - mlpconv(3x3, c2)
    whose last 1x1 conv has num_classes maps (no ReLU: they are the logits) - global average
    pooling. `batch_norm=True` puts a BatchNorm2d after every hidden convolution.

    The ReLU convolutions get He initialization (kaiming normal): with PyTorch's default init
    the signal shrinks through the nine stacked convolutions and the net barely learns.

    Shape: (N, in_channels, H, W) -> (N, num_classes) logits, for any H, W >= 4 (28x28
    digits, 32x32 colour images...).
    """

    def __init__(self, num_classes=10, in_channels=1, widths=(32, 64), dropout=0.5,
                 batch_norm=False):
        super().__init__()
        c1, c2 = widths
        last = mlpconv(c2, c2, 3, 1, depth=1, batch_norm=batch_norm)
        self.features = nn.Sequential(
            mlpconv(in_channels, c1, 5, 2, batch_norm=batch_norm), nn.MaxPool2d(2),
            nn.Dropout(dropout),
            mlpconv(c1, c2, 3, 1, batch_norm=batch_norm), nn.MaxPool2d(2), nn.Dropout(dropout),
            *last, nn.Conv2d(c2, num_classes, 1))
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        convs = [m for m in self.features.modules() if isinstance(m, nn.Conv2d)]
        for conv in convs[:-1]:
            init.kaiming_normal_(conv.weight, nonlinearity="relu")
            if conv.bias is not None:
                init.zeros_(conv.bias)

    def forward(self, x):
        return self.pool(self.features(x))
