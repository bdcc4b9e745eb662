"""InceptionV3 (Szegedy et al., 2016), as `keras.applications.inception_v3`: a convolutional
stem, then "mixed" modules that concatenate parallel towers of factorised convolutions
(1x1, 5x5, 3x3, 1x7/7x1) and pooling; 299x299 inputs by default."""
from ..layers import (Activation, AveragePooling2D, BatchNormalization, Conv2D, Dense,
                      GlobalAveragePooling2D, MaxPooling2D, concatenate)
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401

_FILES = {True: ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
                 "9a0d58056eeedaa3f26cb7ebd46da564"),
          False: ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                  "bcbd6486424b2319ff4ef7d526e38f63")}


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution (no bias), batch norm without scale (a ReLU follows), ReLU."""
    conv_name, bn_name = (f"{name}_conv", f"{name}_bn") if name else (None, None)
    x = Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
               use_bias=False, name=conv_name)(x)
    x = BatchNormalization(axis=3, scale=False, name=bn_name)(x)
    return Activation("relu", name=name)(x)


def _tower(x, convs):
    """A chain of conv2d_bn, each given as (filters, rows, cols[, strides, padding])."""
    for spec in convs:
        filters, rows, cols = spec[:3]
        strides, padding = spec[3:] if len(spec) > 3 else ((1, 1), "same")
        x = conv2d_bn(x, filters, rows, cols, padding=padding, strides=strides)
    return x


def _avg_tower(x, filters):
    """3x3 average pooling (stride 1) then a 1x1 convolution."""
    x = AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(x, filters, 1, 1)


def _mixed_35(x, pool_filters, name):
    """The 35x35 module (mixed0-2): 1x1, 1x1-5x5, 1x1-3x3-3x3 and pooled towers."""
    towers = [_tower(x, [(64, 1, 1)]), _tower(x, [(48, 1, 1), (64, 5, 5)]),
              _tower(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3)]), _avg_tower(x, pool_filters)]
    return concatenate(towers, axis=3, name=name)


def _mixed_17(x, width, name):
    """The 17x17 module (mixed4-7): factorised 7x7 towers of inner width `width`."""
    towers = [_tower(x, [(192, 1, 1)]),
              _tower(x, [(width, 1, 1), (width, 1, 7), (192, 7, 1)]),
              _tower(x, [(width, 1, 1), (width, 7, 1), (width, 1, 7), (width, 7, 1),
                         (192, 1, 7)]),
              _avg_tower(x, 192)]
    return concatenate(towers, axis=3, name=name)


def _mixed_8(x, i):
    """The 8x8 module (mixed9, mixed10): towers that split into 1x3 and 3x1 branches."""
    branch1x1 = _tower(x, [(320, 1, 1)])
    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3 = concatenate([conv2d_bn(branch3x3, 384, 1, 3), conv2d_bn(branch3x3, 384, 3, 1)],
                            axis=3, name=f"mixed9_{i}")
    dbl = _tower(x, [(448, 1, 1), (384, 3, 3)])
    dbl = concatenate([conv2d_bn(dbl, 384, 1, 3), conv2d_bn(dbl, 384, 3, 1)], axis=3)
    return concatenate([branch1x1, branch3x3, dbl, _avg_tower(x, 192)], axis=3,
                       name=f"mixed{9 + i}")


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):
    """The InceptionV3 model (299x299 RGB by default; include_top=False takes sizes >= 75)."""
    imagenet_utils.validate_arguments(weights, include_top, classes, pooling,
                                      classifier_activation)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, 299, 75, include_top,
                                                    weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    valid2 = ((2, 2), "valid")
    x = _tower(img_input, [(32, 3, 3) + valid2, (32, 3, 3, (1, 1), "valid"), (64, 3, 3)])
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _tower(x, [(80, 1, 1, (1, 1), "valid"), (192, 3, 3, (1, 1), "valid")])
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _mixed_35(x, 32, "mixed0")
    x = _mixed_35(x, 64, "mixed1")
    x = _mixed_35(x, 64, "mixed2")
    towers = [_tower(x, [(384, 3, 3) + valid2]),  # mixed3: 35x35 -> 17x17
              _tower(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3) + valid2]),
              MaxPooling2D((3, 3), strides=(2, 2))(x)]
    x = concatenate(towers, axis=3, name="mixed3")
    for width, name_ in ((128, "mixed4"), (160, "mixed5"), (160, "mixed6"), (192, "mixed7")):
        x = _mixed_17(x, width, name_)
    towers = [_tower(x, [(192, 1, 1), (320, 3, 3) + valid2]),  # mixed8: 17x17 -> 8x8
              _tower(x, [(192, 1, 1), (192, 1, 7), (192, 7, 1), (192, 3, 3) + valid2]),
              MaxPooling2D((3, 3), strides=(2, 2))(x)]
    x = concatenate(towers, axis=3, name="mixed8")
    for i in range(2):
        x = _mixed_8(x, i)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooled(x, pooling)
    fname, file_hash = _FILES[bool(include_top)]
    return imagenet_utils.finish(img_input, input_tensor, x, name, weights,
                                 ("inception_v3", fname, file_hash))


def preprocess_input(x, data_format=None):
    """Pixels scaled to -1..1 (Keras's 'tf' mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
