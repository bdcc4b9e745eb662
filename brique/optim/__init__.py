"""Optimizers and learning-rate schedulers, with PyTorch's names and math:
`brique.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)`."""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam
# weight averaging and Adafactor (swa_utils.py, adafactor.py)
from . import swa_utils
from .adafactor import Adafactor

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW",
           "lr_scheduler", "NAdam", "RAdam", "Adamax", "ASGD", "Rprop", "SparseAdam", "LBFGS",
           "Adafactor", "swa_utils"]
