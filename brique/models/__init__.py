"""The model zoo: one file per architecture, each usable on its own."""
from .lenet import LeNet5  # noqa: F401
from .mlp import MLP  # noqa: F401

MODELS = {"lenet5": LeNet5, "mlp": MLP}
