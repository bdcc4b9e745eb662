"""A fully-convolutional classifier: convolutions, then a 1x1 convolution to one score map per
class, then global average pooling. No layer fixes the input size, so the same weights classify
images of any size, and `score_map` gives the class scores at every position (a sliding-window
classifier computed as convolutions)."""
from __future__ import annotations

from .. import nn


class FCN(nn.Module):
    """3x3 conv blocks (conv - [BatchNorm2d] - ReLU), a 2x2 max pooling after each block but
    the last, then conv 1x1 to num_classes, then global average pooling.

    Shape: forward (N, in_channels, H, W) -> (N, num_classes) logits, any H, W >=
    2**(len(widths) - 1); score_map (N, in_channels, H, W) -> (N, num_classes,
    H / 2**(len(widths)-1), W / 2**(len(widths)-1)).
    """

    def __init__(self, num_classes=10, in_channels=1, widths=(16, 32, 64), batch_norm=True):
        super().__init__()
        layers, channels = [], in_channels
        for i, w in enumerate(widths):
            layers.append(nn.Conv2d(channels, w, 3, padding=1, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(w))
            layers.append(nn.ReLU())
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            channels = w
        layers.append(nn.Conv2d(channels, num_classes, 1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def score_map(self, x):
        """Class scores at every position of the last feature map."""
        return self.features(x)

    def forward(self, x):
        return self.pool(self.features(x))
