"""The model zoo (AlexNet, VGG, NiN, ResNet, FCN): output shapes on 28x28 digits and 32x32
colour images, parameter counts against hand counts, shortcuts, and one training step that
lowers the loss."""
import numpy as np
import pytest

import brique
from brique import nn, optim
from brique.models import FCN, VGG, AlexNet, BasicBlock, NiN, ResNet
from brique.nn import functional as F


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def tiny(name, in_channels=1, image_size=28):
    """Small versions of each net, so the tests run in a blink."""
    if name == "alexnet":
        return AlexNet(in_channels=in_channels, image_size=image_size, widths=(4, 8, 8),
                       hidden=16)
    if name == "alexnet-bn":
        return AlexNet(in_channels=in_channels, image_size=image_size, widths=(4, 8, 8),
                       hidden=16, norm="batch")
    if name == "vgg":
        return VGG([4, "M", 8, "M", 8, 8, "M"], in_channels=in_channels, image_size=image_size,
                   hidden=16, batch_norm=True)
    if name == "nin":
        return NiN(in_channels=in_channels, widths=(4, 8))
    if name == "resnet":
        return ResNet(1, in_channels=in_channels, width=4)
    if name == "resnet-plain":
        return ResNet(2, in_channels=in_channels, width=4, plain=True)
    if name == "resnet-projection":
        return ResNet(1, in_channels=in_channels, width=4, shortcut="projection")
    if name == "resnet-nobn":
        return ResNet(1, in_channels=in_channels, width=4, batch_norm=False)
    if name == "fcn":
        return FCN(in_channels=in_channels, widths=(4, 8, 8))
    raise KeyError(name)


NAMES = ["alexnet", "alexnet-bn", "vgg", "nin", "resnet", "resnet-plain", "resnet-projection",
         "resnet-nobn", "fcn"]


@pytest.mark.parametrize("name", NAMES)
def test_logits_for_28x28_digits(name):
    assert tuple(tiny(name)(brique.randn(3, 1, 28, 28)).shape) == (3, 10)


@pytest.mark.parametrize("name", NAMES)
def test_logits_for_32x32_colour_images(name):
    model = tiny(name, in_channels=3, image_size=32)
    assert tuple(model(brique.randn(2, 3, 32, 32)).shape) == (2, 10)


def test_default_nets_build_with_other_class_counts():
    for model in (AlexNet(num_classes=7), VGG(num_classes=7), NiN(num_classes=7),
                  ResNet(1, num_classes=7), FCN(num_classes=7)):
        model.eval()
        assert tuple(model(brique.randn(2, 1, 28, 28)).shape) == (2, 7)


def test_vgg_parameters_match_a_hand_count():
    model = VGG([4, "M", 8, "M"], hidden=16, dropout=0.0)
    convs = (1 * 9 + 1) * 4 + (4 * 9 + 1) * 8
    fcs = (8 * 7 * 7 + 1) * 16 + (16 + 1) * 10
    assert n_params(model) == convs + fcs
    assert sum(isinstance(m, nn.Conv2d) for m in model.modules()) == 2


def test_alexnet_has_five_convs_and_three_linears():
    model = AlexNet()
    assert sum(isinstance(m, nn.Conv2d) for m in model.modules()) == 5
    assert sum(isinstance(m, nn.Linear) for m in model.modules()) == 3
    assert any(isinstance(m, nn.LocalResponseNorm) for m in model.modules())
    assert any(isinstance(m, nn.Dropout) for m in model.modules())
    with pytest.raises(ValueError, match="norm"):
        AlexNet(norm="layer")
    with pytest.raises(ValueError, match="8x8"):
        AlexNet(image_size=7)


def test_nin_has_no_fully_connected_layer_and_takes_any_size():
    model = NiN(widths=(4, 8))
    assert not any(isinstance(m, nn.Linear) for m in model.modules())
    assert sum(isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1)
               for m in model.modules()) == 6
    model.eval()
    assert tuple(model(brique.randn(1, 1, 20, 36)).shape) == (1, 10)


def test_resnet_depth_and_the_papers_parameter_count():
    # ResNet-20 on CIFAR-10 has 0.27M parameters (He et al., 2015, table 6).
    model = ResNet(3, in_channels=3, width=16)
    weight_layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert model.depth == 20 == len(weight_layers)
    assert 0.26e6 < n_params(model) < 0.28e6
    # plain nets and option-A shortcuts have the same parameters; projections add some
    assert n_params(ResNet(3, plain=True)) == n_params(ResNet(3))
    extra = (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)   # two 1x1 convs + their BN
    assert n_params(ResNet(3, shortcut="projection")) == n_params(ResNet(3)) + extra
    assert len(ResNet(5).layers) == 15
    with pytest.raises(ValueError, match="n must be"):
        ResNet(0)


def test_identity_shortcut_subsamples_and_zero_pads():
    block = BasicBlock(4, 8, stride=2)
    x = brique.randn(2, 4, 6, 6)
    s = block.shortcut(x).detach().numpy()
    assert s.shape == (2, 8, 3, 3)
    np.testing.assert_array_equal(s[:, :4], x.numpy()[:, :, ::2, ::2])
    assert not s[:, 4:].any()
    assert tuple(block(x).shape) == (2, 8, 3, 3)
    assert tuple(BasicBlock(4, 8, stride=2, plain=True)(x).shape) == (2, 8, 3, 3)


def test_a_zero_initialized_residual_block_is_the_identity_on_positive_inputs():
    model = ResNet(2, width=4, zero_init_residual=True)
    block = model.layers[1]                      # same width and stride: identity shortcut
    x = brique.rand(2, 4, 7, 7)
    np.testing.assert_allclose(block(x).detach().numpy(), x.numpy(), atol=1e-6)
    plain = ResNet(2, width=4, plain=True, zero_init_residual=True)
    # a plain net has no shortcut to fall back on: no zero init there
    assert plain.layers[1].bn2.weight.detach().numpy().min() == 1.0


def test_fcn_classifies_two_input_sizes_with_the_same_weights():
    model = FCN(widths=(4, 8, 8))
    model.eval()
    for h, w in ((28, 28), (40, 36)):
        x = brique.randn(2, 1, h, w)
        scores = model.score_map(x)
        assert tuple(scores.shape) == (2, 10, h // 4, w // 4)
        pooled = scores.detach().numpy().mean(axis=(2, 3))
        np.testing.assert_allclose(model(x).detach().numpy(), pooled, rtol=1e-5, atol=1e-6)
    assert not any(isinstance(m, nn.Linear) for m in model.modules())


@pytest.mark.parametrize("name", NAMES)
def test_one_training_step_lowers_the_loss(name):
    brique.manual_seed(0)
    model = tiny(name)
    x, y = brique.randn(16, 1, 28, 28), brique.randint(0, 10, (16,))
    opt = optim.Adam(model.parameters(), lr=3e-3)

    def loss():
        brique.manual_seed(1)                      # the same dropout masks both times
        return F.cross_entropy(model(x), y)
    before = loss()
    opt.zero_grad()
    before.backward()
    opt.step()
    assert loss().item() < before.item()
