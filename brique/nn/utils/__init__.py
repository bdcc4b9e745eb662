"""`brique.nn.utils`: helpers around modules and their gradients."""
from . import rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "rnn"]
# Weight/spectral norm, parametrizations, BatchNorm fusion, more clipping (helper 4).
from . import fusion, parametrizations, parametrize  # noqa: E402,F401
from .clip_grad import clip_grad_norm, clip_grads_with_norm_, get_total_norm  # noqa: E402,F401
from .fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,  # noqa
                     fuse_linear_bn_weights)
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: E402,F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: E402,F401
from . import prune  # noqa: E402,F401  (nn.utils.prune, helper 7)
