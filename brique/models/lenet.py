"""LeNet-5 (LeCun et al., 1998) as the course draws it, with max pooling and ReLU by default."""
from __future__ import annotations

from .. import nn


class LeNet5(nn.Module):
    """conv 6@5x5 (pad 2) - pool - conv 16@5x5 - pool - 120 - 84 - 10.

    Shape: (N, in_channels, image_size, image_size) -> (N, num_classes) logits. `activation=nn.Tanh` and
    `pool=nn.AvgPool2d` give the 1998 network.
    """

    def __init__(self, num_classes=10, in_channels=1, image_size=28, activation=nn.ReLU,
                 pool=nn.MaxPool2d):
        super().__init__()
        side = (image_size // 2 - 4) // 2  # after conv(pad 2), pool, conv 5x5, pool
        if side < 1:
            raise ValueError(f"LeNet5 needs images of at least 12x12 pixels, got {image_size}")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2), activation(), pool(2),
            nn.Conv2d(6, 16, 5), activation(), pool(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * side * side, 120), activation(),
            nn.Linear(120, 84), activation(), nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))
