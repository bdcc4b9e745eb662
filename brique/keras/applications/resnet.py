"""ResNet50/101/152 (He et al., 2015), as `keras.applications.resnet` (and `.resnet50`):
a 7x7 stem, four stacks of bottleneck residual blocks, global average pooling."""
from ..layers import (Activation, Add, BatchNormalization, Conv2D, Dense,
                      GlobalAveragePooling2D, MaxPooling2D, ZeroPadding2D)
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401  (keras.applications.resnet's)

# Keras's file hashes: (with the top, without it)
_HASHES = {"resnet50": ("2cb95161c43110f7111970584f804107",
                        "4d473c1dd8becc155b73f8504c6f6626"),
           "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5",
                         "88cf7a10940856eca736dc7b7e228a21"),
           "resnet152": ("100835be76be38e30d865e96f2aaae62",
                         "ee4c566cf9a93f14d82f913c2dc6dd0c")}
_EPS = 1.001e-5  # the epsilon of the original Caffe weights' batch norms


def residual_block(x, filters, stride=1, conv_shortcut=True, name=None):
    """A bottleneck block: 1x1 (stride), 3x3, 1x1 (4*filters) convolutions, added to the
    input (or to a 1x1 convolution of it when the shape changes)."""
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_3_bn")(x)
    x = Add(name=f"{name}_add")([shortcut, x])
    return Activation("relu", name=f"{name}_out")(x)


def stack(x, filters, blocks, stride1=2, name=None):
    """`blocks` residual blocks, the first one downsampling by `stride1`."""
    x = residual_block(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def ResNet(blocks, weights_name, name, include_top=True, weights="imagenet",
           input_tensor=None, input_shape=None, pooling=None, classes=1000,
           classifier_activation="softmax"):
    """A ResNet v1 with `blocks` residual blocks in stacks conv2..conv5."""
    imagenet_utils.validate_arguments(weights, include_top, classes, pooling,
                                      classifier_activation)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, 224, 32, include_top,
                                                    weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = BatchNormalization(axis=3, epsilon=_EPS, name="conv1_bn")(x)
    x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for i, (filters, n) in enumerate(zip((64, 128, 256, 512), blocks)):
        x = stack(x, filters, n, stride1=1 if i == 0 else 2, name=f"conv{i + 2}")
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooled(x, pooling, ("avg_pool", "max_pool"))
    suffix = "" if include_top else "_notop"
    weight_file = ("resnet", f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5",
                   _HASHES[weights_name][0 if include_top else 1])
    return imagenet_utils.finish(img_input, input_tensor, x, name, weights, weight_file)


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="resnet50"):
    """ResNet50: 3, 4, 6, 3 blocks (224x224 RGB by default)."""
    return ResNet((3, 4, 6, 3), "resnet50", name, include_top, weights, input_tensor,
                  input_shape, pooling, classes, classifier_activation)


def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name="resnet101"):
    """ResNet101: 3, 4, 23, 3 blocks."""
    return ResNet((3, 4, 23, 3), "resnet101", name, include_top, weights, input_tensor,
                  input_shape, pooling, classes, classifier_activation)


def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name="resnet152"):
    """ResNet152: 3, 8, 36, 3 blocks."""
    return ResNet((3, 8, 36, 3), "resnet152", name, include_top, weights, input_tensor,
                  input_shape, pooling, classes, classifier_activation)


def preprocess_input(x, data_format=None):
    """RGB -> BGR and ImageNet's mean pixel subtracted (Keras's 'caffe' mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")
