"""`brique.serialization`, where PyTorch keeps save and load (`torch.serialization`). The code
lives in `brique.train.checkpoint`; this is its PyTorch-named face."""
from .train.checkpoint import load, save  # noqa: F401
