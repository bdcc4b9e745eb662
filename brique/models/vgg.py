"""A small VGG (Simonyan and Zisserman, 2014): stacks of 3x3 convolutions, each stack closed by
a 2x2 max pooling, then fully-connected layers. The whole net is one config list, as in
torchvision: numbers are conv widths, 'M' a max pooling."""
from __future__ import annotations

from .. import nn
from ..nn import init

# Three stages for 28x28 digits: 28 -> 14 -> 7 -> 3.
CONFIGS = {
    "vgg-small": [16, "M", 32, "M", 64, 64, "M"],
    "vgg-11-like": [32, "M", 64, "M", 128, 128, "M", 128, 128, "M"],
}


class VGG(nn.Module):
    """VGG(config=[16, 'M', 32, 'M', 64, 64, 'M']): each number a 3x3 conv (padding 1) +
    [BatchNorm2d] + ReLU, each 'M' a 2x2 max pooling; then dropout - Linear(hidden) - ReLU -
    dropout - Linear(num_classes). `config` may also name an entry of CONFIGS. Convolutions
    get He initialization (kaiming normal, fan_out, zero biases), as in torchvision.

    Shape: (N, in_channels, image_size, image_size) -> (N, num_classes) logits; 28x28 digits
    by default, `in_channels=3, image_size=32` for CIFAR-sized images.
    """

    def __init__(self, config="vgg-small", num_classes=10, in_channels=1, image_size=28,
                 batch_norm=False, hidden=128, dropout=0.5):
        super().__init__()
        if isinstance(config, str):
            if config not in CONFIGS:
                raise ValueError(f"VGG: unknown config {config!r}; known: {sorted(CONFIGS)}")
            config = CONFIGS[config]
        layers, channels, side = [], in_channels, image_size
        for v in config:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
                side //= 2
                continue
            layers.append(nn.Conv2d(channels, v, 3, padding=1, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU())
            channels = v
        if side < 1:
            raise ValueError(f"VGG: {config} pools a {image_size}x{image_size} image to nothing")
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(channels * side * side, hidden),
            nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, num_classes))
        for m in self.features.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.features(x))
