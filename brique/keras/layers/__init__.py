"""Keras's layers on brique modules: `from brique.keras.layers import Input, Dense, Conv2D`."""
from ..engine import Input, InputLayer, Layer  # noqa: F401
from .convolutional import (AveragePooling2D, BatchNormalization, Conv2D,  # noqa: F401
                            GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D,
                            UpSampling2D)
from .core import Activation, Dense, Dropout, Flatten, Lambda, Reshape  # noqa: F401
from .merge import (Add, Average, Concatenate, Maximum, Minimum, Multiply,  # noqa: F401
                    Subtract, add, average, concatenate, maximum, merge, minimum, multiply,
                    subtract)
from .recurrent import GRU, LSTM, Embedding, SimpleRNN  # noqa: F401

# Keras's other spellings
Convolution2D, MaxPool2D, AvgPool2D = Conv2D, MaxPooling2D, AveragePooling2D
