"""ResNet for small images (He et al., 2015, section 4.2, the CIFAR-10 nets): a 3x3 conv, three
stages of n basic blocks each (widths w, 2w, 4w; the last two stages halve the resolution),
global average pooling and one Linear layer: 6n + 2 weight layers. A basic block computes
relu(F(x) + shortcut(x)) with F = conv3x3 - BN - ReLU - conv3x3 - BN.

`plain=True` drops the shortcuts (relu(F(x))): the paper's "plain" nets, which get *harder to
train* as they get deeper, while the residual ones do not. `batch_norm=False` drops BN (the
convolutions then get biases), to see what batch normalization does."""
from __future__ import annotations

from .. import nn
from ..nn import functional as F
from ..nn import init


class BasicBlock(nn.Module):
    """relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x)).

    shortcut: the identity when shapes agree; when the block changes width or stride,
    'identity' subsamples x and pads the new channels with zeros (the paper's option A, no
    parameters), 'projection' is conv1x1 (stride) + BN (option B). `plain=True`: no shortcut.

    Shape: (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(self, in_channels, out_channels, stride=1, shortcut="identity", plain=False,
                 batch_norm=True):
        super().__init__()
        if shortcut not in ("identity", "projection"):
            raise ValueError(f"BasicBlock: shortcut must be 'identity' or 'projection', got "
                             f"{shortcut!r}")
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=not batch_norm)
        self.bn1 = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=not batch_norm)
        self.bn2 = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()
        self.plain, self.stride = plain, stride
        self.extra = out_channels - in_channels
        self.projection = None
        if not plain and shortcut == "projection" and (stride != 1 or self.extra):
            self.projection = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=not batch_norm),
                nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity())

    def shortcut(self, x):
        if self.projection is not None:
            return self.projection(x)
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        if self.extra:
            x = F.pad(x, (0, 0, 0, 0, 0, self.extra))
        return x

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if not self.plain:
            out = out + self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    """ResNet(n=3) is ResNet-20: conv3x3(width) - BN - ReLU - 3 stages of n BasicBlocks
    (width, 2 width, 4 width channels; strides 1, 2, 2) - global average pooling - Linear.
    Convolutions get He (kaiming normal, fan_out) initialization, as in the paper.
    `zero_init_residual=True` starts each block's last BN scale at 0, so that every residual
    block begins as the identity (Goyal et al., 2017; torchvision's option of that name).

    Shape: (N, in_channels, H, W) -> (N, num_classes) logits, for any H, W (28x28 digits,
    32x32 colour images...). `depth` = 6n + 2 weight layers.
    """

    def __init__(self, n=3, num_classes=10, in_channels=1, width=16, shortcut="identity",
                 plain=False, batch_norm=True, zero_init_residual=False):
        super().__init__()
        if n < 1:
            raise ValueError(f"ResNet: n must be >= 1 (depth 6n + 2), got {n}")
        self.n, self.plain = n, plain
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1, bias=not batch_norm),
            nn.BatchNorm2d(width) if batch_norm else nn.Identity(), nn.ReLU())
        blocks, channels = [], width
        for stage, w in enumerate((width, 2 * width, 4 * width)):
            for i in range(n):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(BasicBlock(channels, w, stride, shortcut, plain, batch_norm))
                channels = w
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    init.zeros_(m.bias)
        if zero_init_residual and batch_norm and not plain:
            for block in blocks:
                init.zeros_(block.bn2.weight)

    @property
    def depth(self):
        """Weight layers on the longest path: 6n + 2."""
        return 6 * self.n + 2

    def forward(self, x):
        return self.fc(self.pool(self.layers(self.stem(x))))
