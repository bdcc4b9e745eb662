"""Utilities, as in `torch.utils`: `brique.utils.data` (datasets, samplers, DataLoader)."""
from . import data  # noqa: F401
