"""DenseNet121/169/201 (Huang et al., 2017), as `keras.applications.densenet`: dense blocks
in which every layer's 32 new feature maps are concatenated to all the earlier ones, and
transitions (1x1 convolution halving the channels, 2x2 average pooling) between them."""
from ..layers import (Activation, AveragePooling2D, BatchNormalization, Concatenate, Conv2D,
                      Dense, GlobalAveragePooling2D, MaxPooling2D, ZeroPadding2D)
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401  (keras.applications.densenet's)

_EPS = 1.001e-5
# blocks per dense block -> (weights name, hash with the top, hash without it)
_FILES = {(6, 12, 24, 16): ("densenet121", "9d60b8095a5708f2dcce2bca79d332c7",
                            "30ee3e1110167f948a6b9946edeeb738"),
          (6, 12, 32, 32): ("densenet169", "d699b8f76981ab1b30698df4c175e90b",
                            "b8c4d4c20dd625c148057b9ff1c1176b"),
          (6, 12, 48, 32): ("densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807",
                            "c13680b51ded0fb44dff2d8f86ac8bb1")}


def conv_block(x, growth_rate, name):
    """BN-ReLU-1x1 conv (4*growth_rate), BN-ReLU-3x3 conv (growth_rate), concatenated to x."""
    x1 = BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_0_bn")(x)
    x1 = Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_1_bn")(x1)
    x1 = Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def dense_block(x, blocks, name):
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    x = BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_bn")(x)
    x = Activation("relu", name=f"{name}_relu")(x)
    x = Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None,
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
             name="densenet"):
    """A DenseNet with `blocks` conv blocks in each of its four dense blocks."""
    blocks = tuple(blocks)
    imagenet_utils.validate_arguments(weights, include_top, classes, pooling,
                                      classifier_activation)
    if weights == "imagenet" and blocks not in _FILES:
        raise ValueError(f"DenseNet: ImageNet weights exist for blocks {list(_FILES)} only; "
                         f"received blocks={list(blocks)}")
    input_shape = imagenet_utils.obtain_input_shape(input_shape, 224, 32, include_top,
                                                    weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = BatchNormalization(axis=3, epsilon=_EPS, name="conv1_bn")(x)
    x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, n in enumerate(blocks):
        x = dense_block(x, n, name=f"conv{i + 2}")
        if i < 3:
            x = transition_block(x, 0.5, name=f"pool{i + 2}")
    x = BatchNormalization(axis=3, epsilon=_EPS, name="bn")(x)
    x = Activation("relu", name="relu")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooled(x, pooling, ("avg_pool", "max_pool"))
    weight_file = None
    if weights == "imagenet":
        stem, top_hash, notop_hash = _FILES[blocks]
        suffix = ".h5" if include_top else "_notop.h5"
        weight_file = ("densenet", f"{stem}_weights_tf_dim_ordering_tf_kernels{suffix}",
                       top_hash if include_top else notop_hash)
    return imagenet_utils.finish(img_input, input_tensor, x, name, weights, weight_file)


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet121"):
    """DenseNet121: 6, 12, 24, 16 conv blocks (224x224 RGB by default)."""
    return DenseNet((6, 12, 24, 16), include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet169"):
    """DenseNet169: 6, 12, 32, 32 conv blocks."""
    return DenseNet((6, 12, 32, 32), include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet201"):
    """DenseNet201: 6, 12, 48, 32 conv blocks."""
    return DenseNet((6, 12, 48, 32), include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


def preprocess_input(x, data_format=None):
    """Pixels scaled to 0..1 and normalised by ImageNet's channel means and stds (Keras's
    'torch' mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")
