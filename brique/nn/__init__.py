"""brique.nn: modules (layers), their functional forms (`brique.nn.functional as F`), init."""
from . import functional, init, utils  # noqa: F401
from .activation import (ELU, GELU, Hardtanh, Heaviside, LeakyReLU, LogSoftmax, ReLU, Sigmoid,  # noqa
                         SiLU, Softmax, Softplus, Softsign, Tanh)
from .containers import ModuleDict, ModuleList, Sequential  # noqa: F401
from .linear import Bilinear, Flatten, Identity, Linear, Unflatten  # noqa: F401
from .module import Module  # noqa: F401
from .parameter import Parameter  # noqa: F401
from .summary import summary  # noqa: F401
