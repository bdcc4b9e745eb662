"""MobileNet (Howard et al., 2017), as `keras.applications.mobilenet`: a strided 3x3
convolution, then 13 depthwise-separable blocks (3x3 depthwise, 1x1 pointwise, each with
batch norm and ReLU6); `alpha` scales the widths, `depth_multiplier` the depthwise outputs."""
import warnings

from ..layers import (Activation, BatchNormalization, Conv2D, DepthwiseConv2D, Dropout,
                      GlobalAveragePooling2D, ReLU, Reshape, ZeroPadding2D)
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401  (keras.applications.mobilenet's)

_SIZES = (128, 160, 192, 224)  # the input sizes Keras has ImageNet weights for
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}
# (pointwise filters, stride) of depthwise blocks 1..13
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
           (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def _depthwise_block(x, filters, alpha, depth_multiplier, stride, block_id):
    if stride == 2:  # TensorFlow's 'same' padding for a stride of 2 pads bottom/right only
        x = ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = DepthwiseConv2D((3, 3), padding="same" if stride == 1 else "valid",
                        depth_multiplier=depth_multiplier, strides=stride, use_bias=False,
                        name=f"conv_dw_{block_id}")(x)
    x = BatchNormalization(axis=-1, name=f"conv_dw_{block_id}_bn")(x)
    x = ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = Conv2D(int(filters * alpha), (1, 1), padding="same", use_bias=False,
               name=f"conv_pw_{block_id}")(x)
    x = BatchNormalization(axis=-1, name=f"conv_pw_{block_id}_bn")(x)
    return ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3,
              include_top=True, weights="imagenet", input_tensor=None, pooling=None,
              classes=1000, classifier_activation="softmax", name=None):
    """MobileNet v1 (224x224 RGB by default; weights for 128, 160, 192 or 224 pixels and
    alpha 0.25, 0.5, 0.75 or 1.0)."""
    imagenet_utils.validate_arguments(weights, include_top, classes, pooling,
                                      classifier_activation)
    if not isinstance(alpha, (int, float)) or alpha <= 0:
        raise ValueError(f"MobileNet: alpha should be a positive number; received {alpha!r}")
    if not isinstance(depth_multiplier, int) or depth_multiplier < 1:
        raise ValueError("MobileNet: depth_multiplier should be a positive integer; "
                         f"received {depth_multiplier!r}")
    size = imagenet_utils.default_size(input_shape, _SIZES)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, size, 32,
                                                    include_top, weights)
    rows, cols = input_shape[:2]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError("MobileNet: ImageNet weights need depth_multiplier=1; received "
                             f"{depth_multiplier}")
        if alpha not in _ALPHA_TEXT:
            raise ValueError("MobileNet: ImageNet weights exist for alpha 0.25, 0.5, 0.75 "
                             f"and 1.0; received alpha={alpha}")
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn("MobileNet: the input is not square or not 128, 160, 192 or 224 "
                          "pixels; loading the weights for 224x224", stacklevel=2)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2),
               name="conv1")(img_input)
    x = BatchNormalization(axis=-1, name="conv1_bn")(x)
    x = ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(_BLOCKS, 1):
        x = _depthwise_block(x, filters, alpha, depth_multiplier, stride, block_id)
    if include_top:
        # Keras's head: pooled features as a 1x1 image, classified by a 1x1 convolution
        x = GlobalAveragePooling2D(keepdims=True)(x)
        x = Dropout(dropout, name="dropout")(x)
        x = Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = Reshape((classes,), name="reshape_2")(x)
        x = Activation(classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooled(x, pooling)
    name = name or f"mobilenet_{alpha:0.2f}_{rows}"
    weight_file = None
    if weights == "imagenet":
        top = "" if include_top else "_no_top"
        weight_file = ("mobilenet", f"mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf{top}.h5", None)
    return imagenet_utils.finish(img_input, input_tensor, x, name, weights, weight_file)


def preprocess_input(x, data_format=None):
    """Pixels scaled to -1..1 (Keras's 'tf' mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
