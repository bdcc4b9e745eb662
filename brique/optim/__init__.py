"""Optimizers and learning-rate schedulers, with PyTorch's names and math:
`brique.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)`."""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW",
           "lr_scheduler"]
