"""`from brique.keras import ops`: Keras 3's `keras.ops` on brique Tensors.

NumPy's functions with NumPy's arguments (`ops.sum(x, axis=1, keepdims=True)`,
`ops.split(x, [2, 5])`, `ops.pad(x, ((0, 0), (1, 1)))`), the neural-network set
(`ops.softmax`, `ops.one_hot`, `ops.conv`, `ops.categorical_crossentropy`, ...), conversions
and eager control flow. Inputs may be arrays, numbers or Tensors; outputs are Tensors (Keras's
dtypes: Python floats -> float32, Python ints -> int32), differentiable with brique's
autograd.
"""
from .core import (cast, cond, convert_to_numpy, convert_to_tensor, dtype,  # noqa: F401
                   fori_loop, is_tensor, shape, stop_gradient, while_loop)
from .nn import (binary_crossentropy, categorical_crossentropy, conv,  # noqa: F401
                 depthwise_conv, elu, gelu, hard_sigmoid, leaky_relu, log_sigmoid,
                 log_softmax, logsumexp, moments, normalize, one_hot, relu, relu6, selu,
                 sigmoid, silu, softmax, softplus, softsign, sparse_categorical_crossentropy,
                 swish)
from .numpy import (abs, absolute, add, all, any, arange, argmax, argmin,  # noqa: F401,A004
                    argsort, ceil, clip, cos, count_nonzero, cumprod, cumsum, diag, divide,
                    equal, exp, eye, floor, floor_divide, full, full_like, greater,
                    greater_equal, identity, isfinite, isinf, isnan, less, less_equal,
                    linspace, log, log1p, logical_and, logical_not, logical_or, logical_xor,
                    matmul, max, maximum, mean, min, minimum, mod, multiply, negative,
                    not_equal, ones, ones_like, power, prod, reciprocal, round, sign, sin,
                    sort, sqrt, square, std, subtract, sum, tan, tanh, top_k, tril, triu,
                    true_divide, var, where, zeros, zeros_like)
from .manipulation import (broadcast_to, concatenate, dot, einsum, expand_dims, flip,  # noqa: F401
                    hstack, moveaxis, outer, pad, ravel, repeat, reshape, split, squeeze,
                    stack, swapaxes, take, take_along_axis, tensordot, tile, trace,
                    transpose, vstack)
