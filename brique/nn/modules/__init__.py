"""`brique.nn.modules`: the layers, one file per family, named as PyTorch names its files
(`brique.nn.modules.rnn`, `.container`, `.sparse`, ...) so `from torch.nn.modules.X import Y`
code runs with brique. `brique.nn` re-exports every class."""
from . import (activation, attention, batchnorm, container, conv, dropout, linear,  # noqa: F401
               loss, module, normalization, pooling, rnn, sparse, transformer)
from .activation import (CELU, ELU, GELU, GLU, Hardshrink, Hardsigmoid, Hardswish,  # noqa: F401
                         Hardtanh, Heaviside, LeakyReLU, LogSigmoid, LogSoftmax, Mish,
                         MultiheadAttention, PReLU, RReLU, ReLU, ReLU6, SELU, SiLU, Sigmoid,
                         Softmax, Softmin, Softplus, Softshrink, Softsign, Tanh, Tanhshrink,
                         Threshold)
from .attention import AdditiveAttention  # noqa: F401
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, SyncBatchNorm  # noqa: F401
from .container import ModuleDict, ModuleList, Sequential  # noqa: F401
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d  # noqa: F401
from .dropout import Dropout, Dropout1d, Dropout2d  # noqa: F401
from .linear import Bilinear, Flatten, Identity, Linear, Unflatten  # noqa: F401
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss,  # noqa
                   HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .module import Module  # noqa: F401
from .normalization import GroupNorm, LayerNorm, LocalResponseNorm  # noqa: F401
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d,  # noqa: F401
                      AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d,
                      MaxUnpool2d, PixelShuffle, Upsample)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: F401
from .sparse import Embedding  # noqa: F401
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,  # noqa: F401
                          TransformerEncoder, TransformerEncoderLayer)
from .container import ParameterDict, ParameterList  # noqa: F401
from .distance import CosineSimilarity, PairwiseDistance  # noqa: F401
from .fold import Fold, Unfold  # noqa: F401
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d  # noqa: F401
from .loss import (GaussianNLLLoss, MarginRankingLoss, MultiLabelSoftMarginLoss,  # noqa: F401
                   PoissonNLLLoss, SoftMarginLoss, TripletMarginLoss)
from .normalization import RMSNorm  # noqa: F401
from .activation import Softmax2d  # noqa: F401
from .padding import (CircularPad1d, CircularPad2d, ConstantPad1d, ConstantPad2d,  # noqa: F401
                      ReflectionPad1d, ReflectionPad2d, ReplicationPad1d, ReplicationPad2d,
                      ZeroPad1d, ZeroPad2d)
from .dropout import AlphaDropout, Dropout3d  # noqa: F401
from .pooling import PixelUnshuffle, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: F401
# EmbeddingBag, lazy layers, more losses and pooling (helper 4).
from . import embedding_bag, lazy, loss_more, pooling_more, volume  # noqa: F401
from .embedding_bag import EmbeddingBag  # noqa: F401
from .lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d,  # noqa: F401
                   LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d, LazyLinear,
                   LazyModuleMixin)
from .loss_more import MultiLabelMarginLoss, MultiMarginLoss, TripletMarginWithDistanceLoss  # noqa
from .pooling_more import (ChannelShuffle, FeatureAlphaDropout, LPPool1d, LPPool2d,  # noqa
                           MaxUnpool1d, MaxUnpool3d)
from .volume import AdaptiveAvgPool3d, AvgPool3d, Conv3d, MaxPool3d  # noqa: F401
from .volume import ConvTranspose3d  # noqa: F401
# The remaining 3-D layers (padding, adaptive max and LP pooling, lazy transposed conv).
from . import padding3d  # noqa: F401
from .lazy import LazyConvTranspose3d  # noqa: F401
from .padding3d import (CircularPad3d, ConstantPad3d, ReflectionPad3d,  # noqa: F401
                        ReplicationPad3d, ZeroPad3d)
from .volume import AdaptiveMaxPool3d, LPPool3d  # noqa: F401
from .loss_ctc import CTCLoss  # noqa: E402,F401
