"""The Tensor method table: the ops as methods and operators, so `x.sum(1)`, `x @ w` and `x[i]`
reach the same functions as `brique.sum(x, 1)`. The package face calls `install()` once, after
the ops are defined (tensor.py itself never imports the ops)."""
from __future__ import annotations

from . import backend
from . import creation as C
from .ops import elementwise as E
from .ops import indexing as I
from .ops import linalg as L
from .ops import movement as M
from .ops import reduce as R
from .ops import vector_norm
from .ops import linalg_legacy as LL
from .tensor import Tensor


def _remainder(a, b):
    return a - E.div(a, b, rounding_mode="floor") * b


def _where(self, condition, other):
    return E.where(condition, self, other)


def _view(a, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        return _view_dtype(a, shape[0])
    return M.reshape(a, *shape)


def _view_dtype(a, dtype):
    """view(dtype): the same bytes read as another dtype (not a cast), as PyTorch's. With a
    different element size the last dim holds proportionally more or fewer elements, so it
    must be contiguous. Shares memory and the version counter; not differentiable."""
    dtype = backend.as_dtype(dtype)
    old, new = a.dtype.itemsize, dtype.itemsize
    if old != new:
        what = f"view {a.dtype} as {dtype} (different element sizes)"
        if a.ndim == 0:
            raise ValueError(f"view: a 0-d tensor cannot {what}")
        if a.stride(-1) != 1 and a.shape[-1] != 1:
            raise ValueError(f"view: to {what} the last dim must be contiguous (stride 1), "
                             f"got strides {a.stride()} for shape {tuple(a.shape)}")
        if new > old and (a.shape[-1] * old) % new:
            raise ValueError(f"view: to {what} the last dim's size must be a multiple of "
                             f"{new // old}, got shape {tuple(a.shape)}")
    try:
        data = a._data.view(dtype)
    except ValueError as e:  # strides of the other dims not multiples of the new size
        raise ValueError(f"view: cannot view {a.dtype} as {dtype} with strides {a.stride()} "
                         f"(shape {tuple(a.shape)}): {e}") from None
    out = Tensor._make(data)
    out._vc = a._vc  # an in-place change through either is seen by the other
    return out


def _type(a, dtype=None, non_blocking=False, **kwargs):
    """No argument: PyTorch's type string ('torch.FloatTensor'); else a cast to a dtype, a
    legacy type (brique.LongTensor) or its name ('torch.LongTensor'), like .to(dtype)."""
    from . import _legacy
    if dtype is None:
        return _legacy.type_name(a)
    dtype, device = _legacy.as_type(dtype)
    return a.to(dtype) if device is None else a.to(device, dtype)


def _stride(a, dim=None):
    """Strides in elements, as PyTorch counts them."""
    strides = tuple(s // a._data.itemsize for s in a._data.strides)
    return strides if dim is None else strides[dim]


# PyTorch's casting rule for in-place results: bool < integer < floating, never downwards.
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _inplace_of(name, fn):
    def computed(old, *args, **kwargs):
        out = fn(old, *args, **kwargs)
        if _KIND_RANK[out.dtype.kind] > _KIND_RANK[old.dtype.kind]:
            raise RuntimeError(f"{name}: result type {out.dtype} can't be cast to the "
                               f"desired output type {old.dtype}")
        return out

    def method(self, *args, **kwargs):
        data = self._inplace(name, *args, graph=lambda old: computed(old, *args, **kwargs))
        if data is not None:
            data[...] = computed(self.detach(), *args, **kwargs)._data
        return self
    method.__name__ = name
    return method


def _scatter_(self, dim, index, src=None, value=None, reduce=None):
    """Write `src` (a tensor or a number) at `index` along `dim`: self[i][index[i][j]] = src[i][j]
    for dim 1; with reduce='add' or 'multiply', combine with what is there instead (repeated
    indices accumulate)."""
    if reduce not in (None, "add", "multiply"):
        raise ValueError(f"scatter_: reduce must be 'add' or 'multiply', got {reduce!r}")
    src = value if src is None else src
    data = self._inplace("scatter_", src)
    xp = backend.get_array_module(data)
    idx = index._data
    d = dim % data.ndim
    region = data[tuple(slice(None) if k == d else slice(0, n) for k, n in enumerate(idx.shape))]
    values = (src._data[tuple(slice(0, n) for n in idx.shape)] if isinstance(src, Tensor)
              else xp.full(idx.shape, src, dtype=data.dtype))
    if reduce is None:
        xp.put_along_axis(region, idx, values, axis=d)
    else:
        (xp.add if reduce == "add" else xp.multiply).at(region, I._along(idx, d), values)
    return self


def _index_fill_(self, dim, index, value):
    data = self._inplace("index_fill_", value)
    idx = index._data if isinstance(index, Tensor) else index
    data[(slice(None),) * (dim % data.ndim) + (idx,)] = (value._data if isinstance(value, Tensor)
                                                         else value)
    return self


def _fill_diagonal_(self, fill_value, wrap=False):
    data = self._inplace("fill_diagonal_", fill_value)
    backend.get_array_module(data).fill_diagonal(data, fill_value, wrap=wrap)
    return self


def _bernoulli_(self, p=0.5, generator=None):
    draw = backend.rng(self.device, generator).random(self.shape)
    self._inplace("bernoulli_", p)[...] = draw < (p._data if isinstance(p, Tensor) else p)
    return self


def _new(factory):
    def method(self, *args, dtype=None, device=None, requires_grad=False, **kwargs):
        return factory(*args, dtype=dtype or self.dtype, device=device or self.device,
                       requires_grad=requires_grad, **kwargs)
    return method


METHODS = {
    # arithmetic
    "add": E.add, "sub": E.sub, "mul": E.mul, "div": E.div, "neg": E.neg, "pow": E.pow,
    "exp": E.exp, "log": E.log, "sqrt": E.sqrt, "rsqrt": E.rsqrt, "abs": E.abs, "sign": E.sign,
    "sin": E.sin, "cos": E.cos, "tanh": E.tanh, "sigmoid": E.sigmoid, "relu": E.relu,
    "erf": E.erf, "square": E.square, "reciprocal": E.reciprocal, "log1p": E.log1p,
    "expm1": E.expm1, "clamp": E.clamp, "clip": E.clamp, "maximum": E.maximum,
    "minimum": E.minimum, "where": _where, "remainder": _remainder,
    "multiply": E.mul, "subtract": E.sub, "divide": E.div, "true_divide": E.div,
    # comparisons and logic
    "eq": E.eq, "ne": E.ne, "lt": E.lt, "le": E.le, "gt": E.gt, "ge": E.ge,
    "logical_and": E.logical_and, "logical_or": E.logical_or, "logical_xor": E.logical_xor,
    "logical_not": E.logical_not, "isnan": E.isnan, "isfinite": E.isfinite,
    "allclose": E.allclose, "equal": E.equal, "all": R.all, "any": R.any,
    # linear algebra
    "matmul": L.matmul, "mm": L.mm, "bmm": L.bmm, "dot": L.dot, "outer": L.outer,
    # reductions
    "sum": R.sum, "mean": R.mean, "prod": R.prod, "var": R.var, "std": R.std, "max": R.max,
    "min": R.min, "amax": R.amax, "amin": R.amin, "argmax": R.argmax, "argmin": R.argmin,
    "logsumexp": R.logsumexp, "softmax": R.softmax, "log_softmax": R.log_softmax,
    "cumsum": R.cumsum, "cumprod": R.cumprod, "median": R.median, "norm": vector_norm.norm,
    # shape
    "reshape": M.reshape, "view": _view, "flatten": M.flatten, "unflatten": M.unflatten,
    "squeeze": M.squeeze, "unsqueeze": M.unsqueeze, "permute": M.permute,
    "transpose": M.transpose, "t": M.t, "expand": M.expand, "broadcast_to": M.broadcast_to,
    "sum_to_size": M.sum_to_size, "repeat": M.repeat, "flip": M.flip, "split": M.split,
    "chunk": M.chunk, "unbind": M.unbind,
    "view_as": lambda a, other: M.reshape(a, other.shape),
    "reshape_as": lambda a, other: M.reshape(a, other.shape),
    "expand_as": lambda a, other: M.expand(a, other.shape),
    # indexing
    "gather": I.gather, "scatter_add": I.scatter_add, "index_select": I.index_select,
    "index_add": I.index_add,
    "masked_fill": I.masked_fill, "topk": I.topk, "sort": I.sort, "argsort": I.argsort,
    # added for PyTorch programs (docs/api.md lists the rest)
    "floor": E.floor, "ceil": E.ceil, "round": E.round, "trunc": E.trunc, "log2": E.log2,
    "log10": E.log10, "exp2": E.exp2, "tan": E.tan, "sinh": E.sinh, "cosh": E.cosh,
    "clamp_min": E.clamp_min, "clamp_max": E.clamp_max, "isinf": E.isinf, "isclose": E.isclose,
    "negative": E.neg, "absolute": E.abs, "greater": E.gt, "greater_equal": E.ge,
    "less": E.lt, "less_equal": E.le, "not_equal": E.ne, "lerp": E.lerp,
    "tril": L.tril, "triu": L.triu, "diag": L.diag, "diagonal": L.diagonal, "trace": L.trace,
    "mv": L.matmul, "inner": L.inner,
    "movedim": M.movedim, "moveaxis": M.movedim, "swapaxes": M.swapaxes, "swapdims": M.swapaxes,
    "narrow": M.narrow, "select": M.select, "roll": M.roll, "tile": M.tile, "rot90": M.rot90,
    "tensor_split": M.tensor_split, "take_along_dim": I.take_along_dim,
    "repeat_interleave": M.repeat_interleave, "ravel": M.ravel,
    "nonzero": I.nonzero, "argwhere": I.argwhere, "masked_select": I.masked_select,
    "count_nonzero": I.count_nonzero, "unique": I.unique, "bincount": I.bincount,
    "ndimension": lambda a: a.ndim, "nelement": lambda a: a.numel(),
    "byte": lambda a: a.to(backend.uint8), "char": lambda a: a.to(backend.int8),
    "short": lambda a: a.to(backend.int16), "bernoulli": lambda a, p=None: C.bernoulli(a, p),
    "multinomial": C.multinomial, "type": _type,
    "get_device": lambda a: a.device.index if a.device.type == "cuda" else -1,
    "stride": _stride, "fmod": E.fmod, "frac": E.frac, "hypot": E.hypot,
    "logaddexp": E.logaddexp, "nan_to_num": E.nan_to_num, "deg2rad": E.deg2rad,
    "addmm": L.addmm, "baddbmm": L.baddbmm, "diff": M.diff,
}
# Linear algebra: PyTorch's Tensor methods (brique.linalg holds the torch.linalg forms).
METHODS.update({
    "inverse": LL.inverse, "det": LL.det, "logdet": LL.logdet, "slogdet": LL.slogdet,
    "pinverse": LL.pinverse, "cholesky": LL.cholesky, "cholesky_solve": LL.cholesky_solve,
    "cholesky_inverse": LL.cholesky_inverse, "qr": LL.qr, "svd": LL.svd,
    "matrix_power": LL.matrix_power, "matrix_exp": LL.matrix_exp,
    "triangular_solve": LL.triangular_solve, "lu_solve": LL.lu_solve, "lu": LL.lu,
})

# In-place forms: computed out of place, then written into the tensor (Tensor._inplace checks
# that no gradient is lost and counts the change).
INPLACE = {
    "exp_": E.exp, "log_": E.log, "neg_": E.neg, "abs_": E.abs, "relu_": E.relu,
    "sigmoid_": E.sigmoid, "tanh_": E.tanh, "sin_": E.sin, "cos_": E.cos, "sign_": E.sign,
    "floor_": E.floor, "ceil_": E.ceil, "round_": E.round, "trunc_": E.trunc,
    "reciprocal_": E.reciprocal, "square_": E.square, "rsqrt_": E.rsqrt, "log1p_": E.log1p,
    "expm1_": E.expm1, "clip_": E.clamp, "clamp_min_": E.clamp_min, "clamp_max_": E.clamp_max,
    "masked_fill_": I.masked_fill, "tril_": L.tril, "triu_": L.triu, "index_add_": I.index_add,
    "remainder_": _remainder,
}

OPERATORS = {
    "__add__": lambda a, b: E.Add.apply(a, b),
    "__radd__": lambda a, b: E.Add.apply(b, a),
    "__sub__": lambda a, b: E.Sub.apply(a, b),
    "__rsub__": lambda a, b: E.Sub.apply(b, a),
    "__mul__": lambda a, b: E.Mul.apply(a, b),
    "__rmul__": lambda a, b: E.Mul.apply(b, a),
    "__truediv__": lambda a, b: E.Div.apply(a, b),
    "__rtruediv__": lambda a, b: E.Div.apply(b, a),
    "__floordiv__": lambda a, b: E.div(a, b, rounding_mode="floor"),
    "__rfloordiv__": lambda a, b: E.div(b, a, rounding_mode="floor"),
    "__mod__": _remainder,
    "__rmod__": lambda a, b: _remainder(b, a),
    "__neg__": E.neg, "__abs__": E.abs,
    "__pow__": E.pow,
    "__rpow__": lambda a, b: E.pow(b, a),
    "__matmul__": L.matmul,
    "__rmatmul__": lambda a, b: L.matmul(b, a),
    "__eq__": E.eq, "__ne__": E.ne, "__lt__": E.lt, "__le__": E.le, "__gt__": E.gt,
    "__ge__": E.ge,
    "__and__": E.bitwise_and, "__or__": E.bitwise_or, "__xor__": E.bitwise_xor,
    "__invert__": E.bitwise_not, "__lshift__": E.bitwise_left_shift,
    "__rshift__": E.bitwise_right_shift,
    "__rand__": E.bitwise_and, "__ror__": E.bitwise_or, "__rxor__": E.bitwise_xor,
    "bitwise_and": E.bitwise_and, "bitwise_or": E.bitwise_or, "bitwise_xor": E.bitwise_xor,
    "bitwise_not": E.bitwise_not, "bitwise_left_shift": E.bitwise_left_shift,
    "bitwise_right_shift": E.bitwise_right_shift,
    "__getitem__": I.getitem,
}

FACTORIES = {"new_zeros": C.zeros, "new_ones": C.ones, "new_full": C.full, "new_empty": C.empty,
             "new_tensor": C.tensor}


# Reductions, structure and scatter ops added for PyTorch programs (reduce_more,
# reduce_stats, structure, structure_products, scatter_more).
from .ops import reduce_more as RM, reduce_stats as RS  # noqa: E402
from .ops import scatter_more as SM, structure as ST, structure_products as SP  # noqa: E402

METHODS.update({
    "all": RM.all, "any": RM.any, "nansum": RM.nansum, "nanmean": RM.nanmean,
    "nanmedian": RM.nanmedian, "quantile": RM.quantile, "nanquantile": RM.nanquantile,
    "kthvalue": RM.kthvalue, "mode": RM.mode, "cummax": RM.cummax, "cummin": RM.cummin,
    "logcumsumexp": RM.logcumsumexp, "aminmax": RM.aminmax, "msort": RM.msort,
    "dist": RM.dist, "renorm": RM.renorm, "cov": RS.cov, "corrcoef": RS.corrcoef,
    "histc": RS.histc, "histogram": RS.histogram, "unique_consecutive": RS.unique_consecutive,
    "fliplr": ST.fliplr, "flipud": ST.flipud, "diag_embed": ST.diag_embed,
    "diagflat": ST.diagflat, "hsplit": ST.hsplit, "vsplit": ST.vsplit, "dsplit": ST.dsplit,
    "kron": SP.kron, "cross": SP.cross, "addcmul": SP.addcmul, "addcdiv": SP.addcdiv,
    "addmv": SP.addmv, "addr": SP.addr, "addbmm": SP.addbmm, "mv": SP.mv, "ger": SP.ger,
    "vdot": SP.vdot, "unfold": SM.unfold, "index_copy": SM.index_copy,
    "index_fill": SM.index_fill, "masked_scatter": SM.masked_scatter, "scatter": SM.scatter,
    "scatter_reduce": SM.scatter_reduce, "put": SM.put, "take": SM.take,
    "squeeze_": SM.squeeze_, "unsqueeze_": SM.unsqueeze_, "t_": SM.t_,
    "transpose_": SM.transpose_, "swapaxes_": SM.swapaxes_, "swapdims_": SM.swapaxes_,
})
INPLACE.update({"index_copy_": SM.index_copy, "masked_scatter_": SM.masked_scatter,
                "scatter_reduce_": SM.scatter_reduce, "put_": SM.put})

# index_reduce (ops/volume_more.py), a composite over scatter_reduce.
from .ops import volume_more as VM  # noqa: E402
METHODS["index_reduce"] = VM.index_reduce
INPLACE["index_reduce_"] = VM.index_reduce

# Special and elementwise math functions (ops/special.py, ops/special_misc.py).
from .ops import special as SF, special_misc as SX  # noqa: E402


def _float_power_(self, exponent):
    if self.dtype != backend.float64:  # the float64 result cannot be written back
        raise RuntimeError(f"float_power_: the base has dtype {self.dtype} but the result "
                           "is float64; use float_power, or a float64 tensor")
    return SX.float_power(self, exponent)


_SPECIAL = {
    "asin": SF.asin, "acos": SF.acos, "atan": SF.atan, "asinh": SF.asinh, "acosh": SF.acosh,
    "atanh": SF.atanh, "arcsin": SF.asin, "arccos": SF.acos, "arctan": SF.atan,
    "arcsinh": SF.asinh, "arccosh": SF.acosh, "arctanh": SF.atanh, "atan2": SF.atan2,
    "arctan2": SF.atan2, "erfc": SF.erfc, "erfinv": SF.erfinv, "lgamma": SF.lgamma,
    "digamma": SF.digamma, "polygamma": lambda self, n: SF.polygamma(n, self),
    "mvlgamma": SF.mvlgamma, "i0": SF.i0, "sinc": SF.sinc, "logit": SF.logit,
    "xlogy": SF.xlogy, "copysign": SF.copysign, "float_power": SX.float_power,
    "ldexp": SX.ldexp, "heaviside": SX.heaviside, "sgn": SX.sgn, "floor_divide": SX.floor_divide,
    "rad2deg": SX.rad2deg, "nextafter": SX.nextafter, "gcd": SX.gcd, "lcm": SX.lcm,
}
METHODS.update(_SPECIAL)
METHODS.update({
    "fmax": SF.fmax, "fmin": SF.fmin, "logaddexp2": SX.logaddexp2, "signbit": SX.signbit,
    "positive": SX.positive, "isposinf": SX.isposinf, "isneginf": SX.isneginf,
    "isreal": SX.isreal, "frexp": SX.frexp,
})
INPLACE.update({f"{name}_": fn for name, fn in _SPECIAL.items()})
INPLACE["float_power_"] = _float_power_


# Writes into views, index_put, and the complex-aware methods' real forms (ops/scatter_views.py);
# igamma/igammac are torch's method names for the regularized incomplete gammas.
from .ops import scatter_views as SV  # noqa: E402
METHODS.update({
    "select_scatter": SV.select_scatter, "slice_scatter": SV.slice_scatter,
    "diagonal_scatter": SV.diagonal_scatter, "index_put": SV.index_put,
    "index_put_": SV.index_put_, "narrow_copy": SV.narrow_copy,
    "split_with_sizes": SV.split_with_sizes, "angle": SV.angle, "adjoint": SV.adjoint,
    "mH": property(SV.adjoint), "conj": SV.conj, "conj_physical": SV.conj,
    "resolve_conj": SV.conj, "resolve_neg": SV.conj, "is_conj": lambda self: False,
    "is_neg": lambda self: False, "fix": E.trunc, "igamma": SF.gammainc,
    "igammac": SF.gammaincc, "hardshrink": E.hardshrink, "prelu": E.prelu,
})
INPLACE.update({"fix_": E.trunc, "igamma_": SF.gammainc, "igammac_": SF.gammaincc})
# In-place forms of existing methods, PyTorch's `x.op_(...)` for `x.op(...)`: the result (a
# comparison's bools included) is written back in x's dtype.
_INPLACE_OF_METHOD = (
    "absolute_ addbmm_ addmm_ addmv_ addr_ baddbmm_ bitwise_and_ bitwise_left_shift_ "
    "bitwise_not_ bitwise_or_ bitwise_right_shift_ bitwise_xor_ cosh_ cumprod_ cumsum_ "
    "deg2rad_ divide_ eq_ erf_ exp2_ fmod_ frac_ ge_ greater_ greater_equal_ gt_ hypot_ le_ "
    "less_ less_equal_ log10_ log2_ logical_and_ logical_not_ logical_or_ logical_xor_ lt_ "
    "multiply_ nan_to_num_ ne_ negative_ not_equal_ renorm_ scatter_add_ sinh_ subtract_ tan_ "
    "true_divide_").split()


def install():
    """Attach the methods, operators and `new_*` factories to Tensor."""
    for name, fn in {**METHODS, **OPERATORS}.items():
        setattr(Tensor, name, fn)
    for name, factory in FACTORIES.items():
        setattr(Tensor, name, _new(factory))
    for name, fn in INPLACE.items():
        setattr(Tensor, name, _inplace_of(name, fn))
    for name in _INPLACE_OF_METHOD:
        setattr(Tensor, name, _inplace_of(name, getattr(Tensor, name[:-1])))
    for name, fn in (("scatter_", _scatter_), ("index_fill_", _index_fill_),
                     ("fill_diagonal_", _fill_diagonal_), ("bernoulli_", _bernoulli_)):
        setattr(Tensor, name, fn)
