"""Utilities, as in `torch.utils`: `brique.utils.data` (datasets, samplers, DataLoader) and
`brique.utils.checkpoint` (activation checkpointing)."""
from . import checkpoint, data  # noqa: F401
