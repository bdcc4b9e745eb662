"""brique.nn: modules (layers), their functional forms (`brique.nn.functional as F`), init."""
from . import functional, init, utils  # noqa: F401
from .activation import (ELU, GELU, Hardtanh, Heaviside, LeakyReLU, LogSoftmax, ReLU, Sigmoid,  # noqa
                         SiLU, Softmax, Softplus, Softsign, Tanh)
from .containers import ModuleDict, ModuleList, Sequential  # noqa: F401
from .linear import Bilinear, Flatten, Identity, Linear, Unflatten  # noqa: F401
from .module import Module  # noqa: F401
from .parameter import Parameter  # noqa: F401
from .summary import summary  # noqa: F401
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: F401
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d  # noqa: E402,F401
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d,  # noqa: E402,F401
                      AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, MaxUnpool2d, PixelShuffle,
                      Upsample)
from .dropout import Dropout, Dropout1d, Dropout2d  # noqa: F401
from .embedding import Embedding  # noqa: F401
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss,  # noqa
                   HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .norm import (BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm,  # noqa: F401
                   LocalResponseNorm)
from .regularization import activity_l1, activity_l2, l1_penalty, l2_penalty  # noqa: F401
from .attention import AdditiveAttention, MultiheadAttention  # noqa: F401
from .norm import LocalContrastNorm  # noqa: E402,F401
from .pooling import KMaxPool  # noqa: E402,F401
