"""`brique.serialization`, where PyTorch keeps save and load (`torch.serialization`). The code
lives in `brique.train.checkpoint` (brique's format, PyTorch zips read without torch,
safetensors); this is its PyTorch-named face."""
from .train.checkpoint import CheckpointError, load, save  # noqa: F401
from .train.torch_format import (UnsafeCheckpointError, add_safe_globals,  # noqa: F401
                                 clear_safe_globals, get_safe_globals, safe_globals)
