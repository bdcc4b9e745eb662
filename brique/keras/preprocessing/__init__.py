"""Keras 2's `keras.preprocessing` namespaces (gone from Keras 3, still in many programs):
`sequence.pad_sequences`, `text.Tokenizer`, `image.ImageDataGenerator`, `image.load_img`."""
from . import image, sequence, text  # noqa: F401
