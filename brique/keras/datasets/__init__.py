"""`from brique.keras.datasets import mnist, cifar10, imdb, ...`: Keras's dataset modules,
each with Keras's `load_data()` signature, returning NumPy arrays laid out as Keras's."""
from . import (boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,  # noqa: F401
               reuters)
