"""VGG16 (Simonyan and Zisserman, 2015), as `keras.applications.vgg16`: five blocks of 3x3
convolutions and 2x2 max pooling, then (include_top) three dense layers."""
from ..layers import Conv2D, Dense, Flatten, MaxPooling2D
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401  (keras.applications.vgg16's)

_FILES = {True: ("vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                 "64373286793e3c8b2b4e3219cbf3544b"),
          False: ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                  "6d6bbae143d832006294945121d1f1fc")}


def vgg(convs_per_block, name, folder, weight_files, include_top, weights, input_tensor,
        input_shape, pooling, classes, classifier_activation):
    """A VGG network with `convs_per_block[i]` convolutions in block i+1 (VGG16: 2,2,3,3,3;
    VGG19: 2,2,4,4,4), layers named as Keras names them (its .h5 weights match them)."""
    imagenet_utils.validate_arguments(weights, include_top, classes, pooling,
                                      classifier_activation)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, 224, 32, include_top,
                                                    weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = img_input
    for block, (n, filters) in enumerate(zip(convs_per_block, (64, 128, 256, 512, 512)), 1):
        for i in range(1, n + 1):
            x = Conv2D(filters, (3, 3), activation="relu", padding="same",
                       name=f"block{block}_conv{i}")(x)
        x = MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooled(x, pooling)
    fname, file_hash = weight_files[bool(include_top)]
    return imagenet_utils.finish(img_input, input_tensor, x, name, weights,
                                 (folder, fname, file_hash))


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    """The VGG16 model (224x224 RGB by default; include_top=False takes any size >= 32)."""
    return vgg((2, 2, 3, 3, 3), name, "vgg16", _FILES, include_top, weights, input_tensor,
               input_shape, pooling, classes, classifier_activation)


def preprocess_input(x, data_format=None):
    """RGB -> BGR and ImageNet's mean pixel subtracted (Keras's 'caffe' mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")
