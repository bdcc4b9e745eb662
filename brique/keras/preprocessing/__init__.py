"""Keras 2's `keras.preprocessing` namespaces (gone from Keras 3, still in many programs):
`sequence.pad_sequences`, `text.Tokenizer`, `image.ImageDataGenerator`, `image.load_img`."""
from . import image, sequence, text  # noqa: F401
from ..utils.dataset_dirs import (image_dataset_from_directory,  # noqa: F401
                                  text_dataset_from_directory)
