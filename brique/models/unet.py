"""A small U-Net (Ronneberger et al., 2015): a contracting path of conv blocks and max
pooling, an expanding path that upsamples and concatenates the encoder's features at the
same resolution (the skip connections), and a 1x1 conv giving per-pixel logits."""
from __future__ import annotations

from .. import nn
from ..ops.movement import cat


def conv_block(in_channels, out_channels):
    """(conv 3x3 pad 1 - BatchNorm - ReLU) x 2: keeps the spatial size."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU())


class UNet(nn.Module):
    """U-Net with `depth` poolings; stage i of the encoder has base_width * 2**i channels.

    The decoder upsamples by 2 with a learned ConvTranspose2d(kernel 2, stride 2)
    (`upsample='transpose'`) or nearest-neighbour Upsample followed by a 1x1 conv
    (`upsample='nearest'`), concatenates the encoder's features of the same size along the
    channels, and applies a conv block. A final 1x1 conv maps to `out_channels` logits
    (use binary_cross_entropy_with_logits for one channel, cross_entropy for several).

    Shape: (N, in_channels, H, W) -> (N, out_channels, H, W), with H and W divisible by
    2**depth.
    """

    def __init__(self, in_channels=1, out_channels=1, base_width=16, depth=2,
                 upsample="transpose"):
        super().__init__()
        if depth < 1:
            raise ValueError(f"UNet needs depth >= 1, got {depth}")
        if upsample not in ("transpose", "nearest"):
            raise ValueError(f"UNet upsample must be 'transpose' or 'nearest', got {upsample!r}")
        self.depth = depth
        widths = [base_width * 2 ** i for i in range(depth + 1)]
        self.down = nn.ModuleList(
            [conv_block(in_channels if i == 0 else widths[i - 1], widths[i])
             for i in range(depth)])
        self.pool = nn.MaxPool2d(2)
        self.bottom = conv_block(widths[depth - 1], widths[depth])
        ups, blocks = [], []
        for i in reversed(range(depth)):
            if upsample == "transpose":
                ups.append(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2))
            else:
                ups.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                         nn.Conv2d(widths[i + 1], widths[i], 1)))
            blocks.append(conv_block(2 * widths[i], widths[i]))
        self.up = nn.ModuleList(ups)
        self.up_blocks = nn.ModuleList(blocks)
        self.head = nn.Conv2d(widths[0], out_channels, 1)

    def forward(self, x):
        side = 2 ** self.depth
        if x.ndim != 4 or x.shape[-1] % side or x.shape[-2] % side:
            raise ValueError(f"UNet(depth={self.depth}) expects (N, C, H, W) with H and W "
                             f"divisible by {side}, got {tuple(x.shape)}")
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for up, block, skip in zip(self.up, self.up_blocks, reversed(skips)):
            x = block(cat([up(x), skip], 1))
        return self.head(x)
