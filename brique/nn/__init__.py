"""brique.nn: modules (layers), their functional forms (`brique.nn.functional as F`), init."""
from . import functional, init, utils  # noqa: F401
from .modules.activation import (CELU, ELU, GELU, GLU, Hardshrink, Hardsigmoid,  # noqa: F401
                                 Hardswish, Hardtanh, Heaviside, LeakyReLU, LogSigmoid,
                                 LogSoftmax, Mish, PReLU, RReLU, ReLU, ReLU6, SELU, SiLU, Sigmoid,
                                 Softmax, Softmin, Softplus, Softshrink, Softsign, Tanh,
                                 Tanhshrink, Threshold)
from .modules.container import ModuleDict, ModuleList, Sequential  # noqa: F401
from .modules.linear import Bilinear, Flatten, Identity, Linear, Unflatten  # noqa: F401
from .modules.module import Module  # noqa: F401
from .parameter import Buffer, Parameter  # noqa: F401
from .summary import summary  # noqa: F401
from .modules.rnn import (GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell,  # noqa: F401
                          RNNCellBase)
from .modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d  # noqa: E402,F401
from .modules.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d,  # noqa
                              AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d,
                              MaxUnpool2d, PixelShuffle, Upsample)
from .modules.dropout import Dropout, Dropout1d, Dropout2d  # noqa: F401
from .modules.sparse import Embedding  # noqa: F401
from .modules.loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss,  # noqa: F401
                           CrossEntropyLoss, HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss,
                           MSELoss, NLLLoss, SmoothL1Loss)
from .modules.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d  # noqa: F401
from .modules.normalization import GroupNorm, LayerNorm, LocalResponseNorm  # noqa: F401
from .regularization import activity_l1, activity_l2, l1_penalty, l2_penalty  # noqa: F401
from .modules.attention import AdditiveAttention, MultiheadAttention  # noqa: F401
from .modules.batchnorm import SyncBatchNorm  # noqa: F401
from .modules.transformer import (Transformer, TransformerDecoder,  # noqa: F401
                                  TransformerDecoderLayer, TransformerEncoder,
                                  TransformerEncoderLayer)
from . import parallel  # noqa: E402,F401
from .modules.normalization import LocalContrastNorm  # noqa: E402,F401
from .modules.pooling import KMaxPool  # noqa: E402,F401
# Layers added for PyTorch programs (docs/api.md maps what is still missing).
from .modules.container import ParameterDict, ParameterList  # noqa: E402,F401
from .modules.distance import CosineSimilarity, PairwiseDistance  # noqa: E402,F401
from .modules.fold import Fold, Unfold  # noqa: E402,F401
from .modules.instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d  # noqa
from .modules.loss import (GaussianNLLLoss, MarginRankingLoss, MultiLabelSoftMarginLoss,  # noqa
                           PoissonNLLLoss, SoftMarginLoss, TripletMarginLoss)
from .modules.normalization import RMSNorm  # noqa: E402,F401
from .modules.activation import Softmax2d  # noqa: E402,F401
from .modules.padding import (CircularPad1d, CircularPad2d, ConstantPad1d,  # noqa: E402,F401
                              ConstantPad2d, ReflectionPad1d, ReflectionPad2d, ReplicationPad1d,
                              ReplicationPad2d, ZeroPad1d, ZeroPad2d)
from .modules.dropout import AlphaDropout, Dropout3d  # noqa: E402,F401
from .modules.pooling import PixelUnshuffle, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa
# EmbeddingBag, lazy layers, more losses and pooling (helper 4).
from .modules.embedding_bag import EmbeddingBag  # noqa: E402,F401
from .modules.lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d,  # noqa: E402,F401
                           LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d,
                           LazyConvTranspose2d, LazyLinear, LazyModuleMixin, UninitializedBuffer,
                           UninitializedParameter)
from .modules.loss_more import (MultiLabelMarginLoss, MultiMarginLoss,  # noqa: E402,F401
                                TripletMarginWithDistanceLoss)
from .modules.pooling_more import (ChannelShuffle, FeatureAlphaDropout, LPPool1d,  # noqa
                                   LPPool2d, MaxUnpool1d, MaxUnpool3d)
from .modules.volume import AdaptiveAvgPool3d, AvgPool3d, Conv3d, MaxPool3d  # noqa: E402,F401
from .modules.volume import ConvTranspose3d  # noqa: E402,F401
# The remaining 3-D layers (padding, adaptive max and LP pooling, lazy transposed conv).
from .modules.lazy import LazyConvTranspose3d  # noqa: E402,F401
from .modules.padding3d import (CircularPad3d, ConstantPad3d, ReflectionPad3d,  # noqa: E402,F401
                                ReplicationPad3d, ZeroPad3d)
from .modules.volume import AdaptiveMaxPool3d, LPPool3d  # noqa: E402,F401
from .modules.loss_ctc import CTCLoss  # noqa: E402,F401
