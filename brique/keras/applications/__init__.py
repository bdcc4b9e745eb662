"""Keras's pretrained-model architectures (`keras.applications`), layer for layer as Keras
builds them so that Keras's ImageNet weight files (.h5, matched by layer) load:
`weights="imagenet"` downloads them through keras.utils.get_file into ~/.keras/models.

    from brique.keras.applications import ResNet50
    from brique.keras.applications.resnet50 import preprocess_input, decode_predictions
"""
from . import (densenet, imagenet_utils, inception_v3, mobilenet,  # noqa: F401
               mobilenet_v2, resnet, resnet50, vgg16, vgg19, xception)
from .densenet import DenseNet121, DenseNet169, DenseNet201  # noqa: F401
from .inception_v3 import InceptionV3  # noqa: F401
from .mobilenet import MobileNet  # noqa: F401
from .mobilenet_v2 import MobileNetV2  # noqa: F401
from .resnet import ResNet50, ResNet101, ResNet152  # noqa: F401
from .vgg16 import VGG16  # noqa: F401
from .vgg19 import VGG19  # noqa: F401
from .xception import Xception  # noqa: F401
