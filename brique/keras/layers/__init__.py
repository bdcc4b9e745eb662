"""Keras's layers on brique modules: `from brique.keras.layers import Input, Dense, Conv2D`."""
from ..engine import Input, InputLayer, Layer  # noqa: F401
from .convolutional import (AveragePooling2D, BatchNormalization, Conv2D,  # noqa: F401
                            GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D,
                            UpSampling2D)
from .core import Activation, Dense, Dropout, Flatten, Lambda, Reshape  # noqa: F401
from .merge import (Add, Average, Concatenate, Dot, Maximum, Minimum,  # noqa: F401
                    Multiply, Subtract, add, average, concatenate, dot, maximum, merge, minimum,
                    multiply, subtract)
from .recurrent import GRU, LSTM, Embedding, Masking, SimpleRNN  # noqa: F401
from .regularization import ActivityRegularization  # noqa: F401
from .attention import AdditiveAttention, Attention, MultiHeadAttention  # noqa: F401
from .normalization import (GroupNormalization, LayerNormalization,  # noqa: F401
                            UnitNormalization)
from .wrappers import Bidirectional, TimeDistributed  # noqa: F401
from .activation_layers import (ELU, LeakyReLU, PReLU, ReLU, Softmax,  # noqa: F401
                                ThresholdedReLU)
from .convolutional_more import (Conv1D, Conv1DTranspose, Conv2DTranspose,  # noqa: F401
                                 Conv3D, Conv3DTranspose, DepthwiseConv1D, DepthwiseConv2D,
                                 SeparableConv1D, SeparableConv2D)
from .noise import (AlphaDropout, GaussianDropout, GaussianNoise,  # noqa: F401
                    SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
from .pooling import (AveragePooling1D, AveragePooling3D, Cropping1D,  # noqa: F401
                      Cropping2D, Cropping3D, GlobalAveragePooling1D, GlobalAveragePooling3D,
                      GlobalMaxPooling1D, GlobalMaxPooling3D, MaxPooling1D, MaxPooling3D,
                      UpSampling1D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
from .reshaping import Identity, Permute, RepeatVector  # noqa: F401
from .preprocessing import (CategoryEncoding, Discretization, Normalization,  # noqa: F401
                            Rescaling)
from .image_preprocessing import CenterCrop, Resizing  # noqa: F401
from .image_augmentation import (RandomBrightness, RandomContrast,  # noqa: F401
                                 RandomCrop, RandomFlip, RandomRotation, RandomTranslation,
                                 RandomZoom)
from .hashing import Hashing  # noqa: F401
from .text_preprocessing import IntegerLookup, StringLookup, TextVectorization  # noqa: F401

# Keras's other spellings
Convolution2D, MaxPool2D, AvgPool2D = Conv2D, MaxPooling2D, AveragePooling2D
Convolution1D, Convolution3D = Conv1D, Conv3D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
Deconvolution2D = Deconv2D = Conv2DTranspose  # Keras 2.2's names
Deconvolution3D = Deconv3D = Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
MaxPool1D, MaxPool3D, AvgPool1D, AvgPool3D = MaxPooling1D, MaxPooling3D, AveragePooling1D, \
    AveragePooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = GlobalAveragePooling1D, \
    GlobalAveragePooling2D, GlobalAveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, \
    GlobalMaxPooling3D
