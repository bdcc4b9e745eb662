"""brique: a deep-learning framework written from scratch, with PyTorch's names.

    import brique
    x = brique.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad  # tensor([2., 4.])
"""
from .backend import (bool_ as bool, device, double, float, float16, float32, float64,  # noqa
                      get_default_dtype, get_num_threads, half, int, int8, int16, int32,
                      int64, long, manual_seed, result_type, seed, set_default_dtype,
                      set_num_threads, short, uint8)
# autograd first: it imports tensor at its end, once Function is defined.
from .autograd import (enable_grad, grad, inference_mode, is_grad_enabled, no_grad,
                       set_grad_enabled)
from . import autograd
from .tensor import Size, Tensor
from . import _methods
_methods.install()  # the Tensor method table: tensor.py never imports the ops
from .creation import (arange, as_tensor, empty, empty_like, eye, from_dlpack, from_numpy, full,
                       full_like, linspace, normal, ones, ones_like, rand, rand_like, randint,
                       randint_like, randn, randn_like, randperm, tensor, zeros, zeros_like)
from .ops.elementwise import (bitwise_and, bitwise_left_shift, bitwise_not,  # noqa: F401
                              bitwise_or, bitwise_right_shift, bitwise_xor)
from .ops.elementwise import (abs, add, allclose, clamp, cos, div, elu, eq, equal, erf, exp,
                              expm1, ge, gelu, gt, hardtanh, isfinite, isnan, le, leaky_relu,
                              log, log1p, logical_and, logical_not, logical_or, logical_xor, lt,
                              maximum, minimum, mul, ne, neg, pow, reciprocal, relu, rsqrt,
                              sigmoid, sign, silu, sin, softplus, sqrt, square, sub, tanh, where)
from .ops.indexing import (argsort, gather, index_select, masked_fill, one_hot, scatter_add,
                           sort, topk)
from .ops.linalg import bmm, dot, matmul, mm, outer
from .ops.movement import (broadcast_shapes, broadcast_to, cat, chunk, flatten, flip, permute,
                           repeat, reshape, split, squeeze, stack, t, transpose, unbind,
                           unflatten, unsqueeze)
from .ops.reduce import (amax, amin, argmax, argmin, cumprod, cumsum, log_softmax, logsumexp,
                         max, mean, median, min, prod, softmax, std, sum, var)
from .ops.vector_norm import norm
from . import backend
# Names PyTorch programs reach for beyond the core above (docs/api.md maps the rest).
from .creation import bernoulli, multinomial  # noqa: E402,F401
from .ops.elementwise import (ceil, clamp_max, clamp_min, cosh, exp2, floor, isclose,  # noqa
                              isinf, log2, log10, round, sinh, tan, trunc)
from .ops.indexing import (argwhere, bincount, count_nonzero, index_add, masked_select,  # noqa
                           nonzero, take_along_dim, unique)
from .ops.linalg import diag, diagonal, einsum, inner, trace, tril, triu  # noqa: F401
from .ops.movement import (meshgrid, movedim, moveaxis, narrow, ravel, repeat_interleave,  # noqa
                           roll, rot90, select, swapaxes, swapdims, tensor_split, tile)
from .creation import logspace  # noqa: E402,F401
from .ops.elementwise import (deg2rad, fmod, frac, hypot, lerp, logaddexp,  # noqa: E402,F401
                              nan_to_num)
from .ops.indexing import isin  # noqa: E402,F401
from .ops.linalg import addmm, baddbmm, cdist  # noqa: E402,F401
from .ops.movement import diff, hstack, vstack  # noqa: E402,F401
from .ops.reduce import std_mean, var_mean  # noqa: E402,F401
from ._compat import (amp, are_deterministic_algorithms_enabled, autocast,  # noqa: E402,F401
                      backends, compile, finfo, get_float32_matmul_precision, iinfo, jit,
                      set_float32_matmul_precision, use_deterministic_algorithms)
from ._compat import cuda_amp as _cuda_amp  # noqa: E402

# Reductions, structure, products and constants.
from .ops.reduce_more import (aminmax, all, any, cummax, cummin, dist, kthvalue,  # noqa
                              logcumsumexp, mode, msort, nanmean, nanmedian, nanquantile,
                              nansum, quantile, renorm)
from .ops.reduce_stats import (bucketize, corrcoef, cov, cumulative_trapezoid,  # noqa: E402
                               histc, histogram, searchsorted, trapezoid, trapz,
                               unique_consecutive)
from .ops.structure import (atleast_1d, atleast_2d, atleast_3d, block_diag,  # noqa: E402,F401
                            broadcast_tensors, cartesian_prod, column_stack, combinations,
                            diag_embed, diagflat, dsplit, dstack, fliplr, flipud, hsplit,
                            row_stack, rsub, scalar_tensor, tril_indices, triu_indices,
                            unravel_index, vander, vsplit)
from .ops.structure_products import (addbmm, addcdiv, addcmul, addmv, addr,  # noqa: E402,F401
                                     chain_matmul, cross, ger, kron, mv, tensordot, vdot)
from .ops.scatter_more import (index_copy, index_fill, masked_scatter, put,  # noqa: E402,F401
                               scatter, scatter_reduce, take)
from .ops.volume_more import index_reduce  # noqa: E402,F401
from .ops.scatter_views import (adjoint, angle, conj, diagonal_scatter,  # noqa: E402,F401
                                index_put, index_put_, narrow_copy, select_scatter,
                                slice_scatter, split_with_sizes)
from .ops.scatter_views import conj as conj_physical, conj as resolve_conj  # noqa: E402,F401
from .ops.scatter_views import conj as resolve_neg  # noqa: E402,F401
from .ops.elementwise_unary import trunc as fix  # noqa: E402,F401
import math as _math  # noqa: E402
pi, e, inf, nan, newaxis = _math.pi, _math.e, _math.inf, _math.nan, None

# Special and elementwise math functions (ops/special*.py); torch.special as brique.special.
from .ops.special import (acos, acosh, arccos, arccosh, arcsin, arcsinh, arctan,  # noqa: E402
                          arctan2, arctanh, asin, asinh, atan, atan2, atanh, copysign, digamma,
                          erfc, erfinv, fmax, fmin, i0, lgamma, logit, mvlgamma, polygamma,
                          sinc, xlogy)
from .ops.special_misc import (float_power, floor_divide, frexp, gcd, heaviside,  # noqa: E402
                               isneginf, isposinf, isreal, lcm, ldexp, logaddexp2, nextafter,
                               positive, rad2deg, sgn, signbit)
from . import special  # noqa: E402,F401

clip = clamp
concat = concatenate = cat
multiply, subtract, divide, true_divide = mul, sub, div, div
is_tensor = lambda obj: isinstance(obj, Tensor)  # noqa: E731
numel = Tensor.numel
clone = Tensor.clone
remainder = Tensor.remainder
is_floating_point = Tensor.is_floating_point
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne
negative, absolute = neg, abs


class cuda:
    """`brique.cuda.is_available()`, as in PyTorch."""
    is_available = staticmethod(backend.cuda_is_available)
    amp = _cuda_amp
    manual_seed = staticmethod(manual_seed)

    manual_seed_all = staticmethod(manual_seed)

    @staticmethod
    def device_count():
        return backend.cupy.cuda.runtime.getDeviceCount() if backend.cuda_is_available() else 0

    @staticmethod
    def current_device():
        return backend.cupy.cuda.Device().id if backend.cuda_is_available() else 0

    @staticmethod
    def synchronize(device=None):
        if backend.cuda_is_available():
            backend.cupy.cuda.Device().synchronize()

    @staticmethod
    def empty_cache():
        if backend.cuda_is_available():
            backend.cupy.get_default_memory_pool().free_all_blocks()

    @staticmethod
    def memory_allocated(device=None):
        return backend.cupy.get_default_memory_pool().used_bytes() if \
            backend.cuda_is_available() else 0


class accelerator:
    """`brique.accelerator`, PyTorch's device-neutral face: the CUDA GPU when there is one."""
    is_available = staticmethod(backend.cuda_is_available)
    device_count = cuda.device_count

    @staticmethod
    def current_accelerator():
        return backend.device("cuda") if backend.cuda_is_available() else None


__version__ = "0.1.0"

# The layers, optimizers, data, datasets, training and models, as `brique.nn` etc.
from . import nn, optim, utils, datasets, models, train  # noqa: E402,F401
from .utils.data import Generator  # noqa: E402,F401  (torch.Generator().manual_seed(0))
from .train.checkpoint import load, save  # noqa: E402,F401
# torch.linalg as brique.linalg, and PyTorch's older top-level linear-algebra names.
from . import linalg  # noqa: E402,F401
from .ops.linalg_legacy import (cholesky, cholesky_inverse, cholesky_solve, det,  # noqa
                                inverse, logdet, lu, lu_solve, lu_unpack, matrix_exp,
                                matrix_power, pinverse, qr, slogdet, svd, triangular_solve)
# torch.distributions (plain import: it needs only NumPy)
from . import distributions  # noqa: E402,F401

# RNG state, legacy tensor types, Tensor metadata, autograd.functional, gradcheck, testing.
from . import random, testing  # noqa: E402,F401
from . import func  # noqa: E402,F401
from .func import vmap  # noqa: E402,F401
from .random import (default_generator, get_rng_state, initial_seed,  # noqa: E402,F401
                     set_rng_state)
from ._legacy import (BoolTensor, ByteTensor, CharTensor, DoubleTensor,  # noqa: E402,F401
                      FloatTensor, HalfTensor, IntTensor, LongTensor, ShortTensor,
                      set_default_tensor_type, typename)
from ._tensor_meta import (asarray, can_cast, empty_strided, frombuffer,  # noqa: E402,F401
                           get_default_device, promote_types, set_default_device)
from ._format import set_printoptions  # noqa: E402,F401
import sys as _sys  # noqa: E402
from . import _tensor_meta, _autograd_functional, _gradcheck  # noqa: E402
_tensor_meta.install()
random.install()
autograd.functional = _autograd_functional
autograd.gradcheck, autograd.gradgradcheck = _gradcheck.gradcheck, _gradcheck.gradgradcheck
autograd.GradcheckError = _gradcheck.GradcheckError
_sys.modules[f"{__name__}.autograd.functional"] = _autograd_functional
from . import profiler  # noqa: E402,F401
autograd.profiler = profiler  # torch.autograd.profiler.profile / record_function
_sys.modules[f"{__name__}.autograd.profiler"] = profiler
cuda.get_rng_state = staticmethod(random.cuda_get_rng_state)
cuda.get_rng_state_all = staticmethod(random.cuda_get_rng_state_all)
cuda.set_rng_state = staticmethod(random.cuda_set_rng_state)
cuda.set_rng_state_all = staticmethod(random.cuda_set_rng_state_all)

# Optional parts load on first use, so `import brique` never imports optuna, onnx, mpi4py or a
# web server. Name -> the extra (`pip install 'brique[extra]'`) that brings its dependencies.
_LAZY = {"explain": "explain", "attacks": "attacks", "onnx": "onnx", "search": "search",
         "distributed": "distributed", "keras": "keras", "playground": "playground"}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'brique' has no attribute {name!r}")
    import importlib
    import importlib.util
    if importlib.util.find_spec(f"{__name__}.{name}") is None:  # not written yet
        raise AttributeError(f"module 'brique' has no attribute {name!r}")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as e:
        if e.name is None or e.name.split(".")[0] == __name__:
            raise
        raise ImportError(f"brique.{name} needs {e.name!r}, which is not installed: "
                          f"pip install 'brique[{_LAZY[name]}]'") from e
    globals()[name] = module
    return module


def __dir__():
    import importlib.util
    present = {n for n in _LAZY if importlib.util.find_spec(f"{__name__}.{n}") is not None}
    return sorted(set(globals()) | present)
