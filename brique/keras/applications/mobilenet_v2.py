"""MobileNetV2 (Sandler et al., 2018), as `keras.applications.mobilenet_v2`: 17 inverted
residual blocks (1x1 expansion, 3x3 depthwise, linear 1x1 projection, a skip connection where
the shape allows); `alpha` scales the widths."""
import warnings

from ..backend import is_keras_tensor
from ..layers import (Add, BatchNormalization, Conv2D, Dense, DepthwiseConv2D,
                      GlobalAveragePooling2D, ReLU, ZeroPadding2D)
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401
from .mobilenet import preprocess_input  # noqa: F401  (the same 'tf' preprocessing)

_SIZES = (96, 128, 160, 192, 224)
_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
# (filters, stride, expansion) of blocks 0..16
_BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6),
           (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6),
           (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6))


def _make_divisible(v, divisor=8):
    """`v` rounded to a multiple of `divisor`, never more than 10% below `v`."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _bn(name):
    return BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)


def _correct_pad(x, kernel_size=3):
    """The padding that makes a 'valid' strided convolution match TensorFlow's 'same'."""
    rows, cols = x.shape[1:3]
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    k = kernel_size // 2
    return ((k - adjust[0], k), (k - adjust[1], k))


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[-1]
    pointwise_filters = _make_divisible(int(filters * alpha))
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                   name=f"{prefix}expand")(x)
        x = _bn(f"{prefix}expand_BN")(x)
        x = ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = ZeroPadding2D(padding=_correct_pad(x), name=f"{prefix}pad")(x)
    x = DepthwiseConv2D(kernel_size=3, strides=stride, use_bias=False,
                        padding="same" if stride == 1 else "valid",
                        name=f"{prefix}depthwise")(x)
    x = _bn(f"{prefix}depthwise_BN")(x)
    x = ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
               name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return Add(name=f"{prefix}add")([inputs, x])
    return x


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",
                input_tensor=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None):
    """MobileNetV2 (224x224 RGB by default; weights for 96..224 pixels and alpha 0.35, 0.5,
    0.75, 1.0, 1.3 or 1.4)."""
    imagenet_utils.validate_arguments(weights, include_top, classes, pooling,
                                      classifier_activation)
    if not isinstance(alpha, (int, float)) or alpha <= 0:
        raise ValueError(f"MobileNetV2: alpha should be a positive number; received {alpha!r}")
    shape = input_shape
    if shape is None and input_tensor is not None and is_keras_tensor(input_tensor):
        shape = tuple(input_tensor.shape[1:])
    size = imagenet_utils.default_size(shape, _SIZES)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, size, 32,
                                                    include_top, weights)
    rows, cols = input_shape[:2]
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError("MobileNetV2: ImageNet weights exist for alpha 0.35, 0.5, 0.75, "
                             f"1.0, 1.3 and 1.4; received alpha={alpha}")
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn("MobileNetV2: the input is not square or not 96, 128, 160, 192 or "
                          "224 pixels; loading the weights for 224x224", stacklevel=2)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = Conv2D(_make_divisible(32 * alpha), kernel_size=3, strides=(2, 2), padding="same",
               use_bias=False, name="Conv1")(img_input)
    x = _bn("bn_Conv1")(x)
    x = ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last = _make_divisible(1280 * alpha) if alpha > 1.0 else 1280
    x = Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _bn("Conv_1_bn")(x)
    x = ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = GlobalAveragePooling2D()(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooled(x, pooling)
    name = name or f"mobilenetv2_{alpha:0.2f}_{rows}"
    weight_file = None
    if weights == "imagenet":
        stem = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
        weight_file = ("mobilenet_v2", stem + (".h5" if include_top else "_no_top.h5"), None)
    return imagenet_utils.finish(img_input, input_tensor, x, name, weights, weight_file)
