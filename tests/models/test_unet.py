"""UNet: the output keeps the input's spatial size, and a training step lowers the loss."""
import numpy as np
import pytest

import brique
from brique import nn, optim
from brique.models import UNet
from brique.nn import functional as F


@pytest.mark.parametrize("depth, size, upsample", [(1, 8, "transpose"), (2, 16, "nearest"),
                                                   (3, 24, "transpose")])
def test_output_has_the_input_spatial_size(depth, size, upsample):
    model = UNet(in_channels=3, out_channels=2, base_width=4, depth=depth, upsample=upsample)
    x = brique.randn(2, 3, size, size + 2 ** depth)
    assert tuple(model(x).shape) == (2, 2, size, size + 2 ** depth)


def test_sizes_not_divisible_are_refused():
    with pytest.raises(ValueError, match="divisible by 4"):
        UNet(depth=2)(brique.randn(1, 1, 10, 12))


def test_skip_connections_concatenate_encoder_features():
    model = UNet(base_width=4, depth=2)
    assert model.up_blocks[0][0].in_channels == 2 * 8   # 8 upsampled + 8 from the skip
    assert model.up_blocks[1][0].in_channels == 2 * 4


def test_one_training_step_lowers_the_loss():
    brique.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 1, 16, 16)).astype(np.float32)
    y = (x > 0.5).astype(np.float32)     # a per-pixel target the net can fit quickly
    x, y = brique.tensor(x), brique.tensor(y)
    model = UNet(base_width=4, depth=2)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(2):   # the second loss is measured after one step
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[1] < losses[0]
    assert all(p.grad is not None for p in model.parameters())
