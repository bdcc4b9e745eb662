"""`from brique.keras.datasets import mnist`: Keras's dataset modules, as NumPy arrays."""
from . import mnist  # noqa: F401
