"""Xception (Chollet, 2017), as `keras.applications.xception`: depthwise-separable
convolutions in an entry flow (three downsampling blocks with 1x1 strided shortcuts), a
middle flow of eight residual blocks and an exit flow; 299x299 inputs by default."""
from ..layers import (Activation, BatchNormalization, Conv2D, Dense, GlobalAveragePooling2D,
                      MaxPooling2D, SeparableConv2D, add)
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401  (keras.applications.xception's)

_FILES = {True: ("xception_weights_tf_dim_ordering_tf_kernels.h5",
                 "0a58e3b7378bc2990ea3b43d5981f1f6"),
          False: ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
                  "b0042744bf5b25fce3cb969f33bebb97")}


def _sepconv_bn(x, filters, name, relu_first=True):
    """[ReLU], 3x3 separable convolution, batch norm: Xception's repeated unit."""
    if relu_first:
        x = Activation("relu", name=f"{name}_act")(x)
    x = SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return BatchNormalization(axis=-1, name=f"{name}_bn")(x)


def _downsampling_block(x, filters, block, relu_first=True):
    """Two separable units and a strided max pool, plus a 1x1 strided shortcut (whose layers
    Keras leaves unnamed)."""
    residual = Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = BatchNormalization(axis=-1)(residual)
    if relu_first:
        x = Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _sepconv_bn(x, filters[0], f"block{block}_sepconv1", relu_first=False)
    x = _sepconv_bn(x, filters[1], f"block{block}_sepconv2")
    x = MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="xception"):
    """The Xception model (299x299 RGB by default; include_top=False takes sizes >= 71)."""
    imagenet_utils.validate_arguments(weights, include_top, classes, pooling,
                                      classifier_activation)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, 299, 71, include_top,
                                                    weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = BatchNormalization(axis=-1, name="block1_conv1_bn")(x)
    x = Activation("relu", name="block1_conv1_act")(x)
    x = Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = BatchNormalization(axis=-1, name="block1_conv2_bn")(x)
    x = Activation("relu", name="block1_conv2_act")(x)
    x = _downsampling_block(x, (128, 128), 2, relu_first=False)
    x = _downsampling_block(x, (256, 256), 3)
    x = _downsampling_block(x, (728, 728), 4)
    for block in range(5, 13):  # the middle flow
        residual = x
        for i in (1, 2, 3):
            x = _sepconv_bn(x, 728, f"block{block}_sepconv{i}")
        x = add([x, residual])
    x = _downsampling_block(x, (728, 1024), 13)
    x = _sepconv_bn(x, 1536, "block14_sepconv1", relu_first=False)
    x = Activation("relu", name="block14_sepconv1_act")(x)
    x = _sepconv_bn(x, 2048, "block14_sepconv2", relu_first=False)
    x = Activation("relu", name="block14_sepconv2_act")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooled(x, pooling)
    fname, file_hash = _FILES[bool(include_top)]
    return imagenet_utils.finish(img_input, input_tensor, x, name, weights,
                                 ("xception", fname, file_hash))


def preprocess_input(x, data_format=None):
    """Pixels scaled to -1..1 (Keras's 'tf' mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
