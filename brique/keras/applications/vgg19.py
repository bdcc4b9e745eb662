"""VGG19, as `keras.applications.vgg19`: VGG16 with four convolutions in blocks 3 to 5."""
from .imagenet_utils import decode_predictions  # noqa: F401  (keras.applications.vgg19's)
from .vgg16 import preprocess_input, vgg  # noqa: F401  (the same 'caffe' preprocessing)

_FILES = {True: ("vgg19_weights_tf_dim_ordering_tf_kernels.h5",
                 "cbe5617147190e668d6c5d5026f83318"),
          False: ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                  "253f8cb515780f3b799900260a226db6")}


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    """The VGG19 model (224x224 RGB by default; include_top=False takes any size >= 32)."""
    return vgg((2, 2, 4, 4, 4), name, "vgg19", _FILES, include_top, weights, input_tensor,
               input_shape, pooling, classes, classifier_activation)
