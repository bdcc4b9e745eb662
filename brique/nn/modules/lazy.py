"""Lazy layers: LazyLinear, LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d, LazyBatchNorm1d/2d/3d.
Their input size (in_features, in_channels, num_features) is read from the first input; until
then their weights are UninitializedParameters, and after it the module *is* the ordinary layer
(its class becomes `cls_to_become`, as in PyTorch).

As in PyTorch, build the optimizer after a first (dry-run) forward: before it, the parameters
have no shape. load_state_dict into a lazy module that has not run yet gives its placeholders
the checkpoint's shapes and values, which the first forward keeps."""
from __future__ import annotations

from ... import backend
from ...tensor import Tensor
from ..parameter import Parameter
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .linear import Linear
from .module import Module
from .volume import Conv3d, ConvTranspose3d


class _Uninitialized:
    """A tensor with no shape yet; `materialize(shape)` gives it one and turns it into
    `cls_to_become` (the same object, so references to it stay valid)."""

    __slots__ = ()

    def materialize(self, shape, device=None, dtype=None):
        xp = backend.xp_of(self.device if device is None else backend.device(device))
        dtype = self.dtype if dtype is None else backend.as_dtype(dtype)
        self._data = xp.empty(tuple(shape), dtype=dtype)
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """A lazy layer's weight before its first forward."""

    __slots__ = ()
    cls_to_become = Parameter


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer with no shape yet (a lazy BatchNorm's running statistics)."""

    __slots__ = ()
    cls_to_become = Tensor


def _placeholder(device, dtype, kind=UninitializedParameter):
    from ... import creation
    return kind(creation.empty(0, device=device, dtype=dtype))


class LazyModuleMixin:
    """Builds `cls_to_become(in_size, *args, **kwargs)` on the first forward and takes over
    its state, keeping the placeholder Parameter objects (materialized in place)."""

    cls_to_become = None

    def _lazy_setup(self, args, kwargs, names, buffers=()):
        Module.__init__(self)
        d = self.__dict__
        d["_lazy_args"], d["_lazy_kwargs"] = args, kwargs
        device, dtype = kwargs.get("device"), kwargs.get("dtype")
        for name in names:
            setattr(self, name, _placeholder(device, dtype))
        for name in buffers:
            self.register_buffer(name, _placeholder(device, dtype, UninitializedBuffer))
        from ...random import fork_rng
        # The settings as the layer will hold them (kernel_size as a tuple...), for repr, from a
        # throwaway layer of 1 input; with groups, of as many inputs as outputs (the first
        # argument of a lazy conv), which the groups divide.
        for size in (1, args[0] if args and isinstance(args[0], int) else None):
            try:
                with fork_rng():  # its throwaway weights draw nothing from the seeded stream
                    probe = self.cls_to_become(size, *args, **kwargs)
                break
            except (ValueError, TypeError):
                probe = None
        if probe is None:
            return
        for key, value in probe.__dict__.items():
            if not key.startswith("_") and not isinstance(value, Tensor) and key not in d:
                d[key] = value

    def has_uninitialized_params(self):
        return any(isinstance(t, (UninitializedParameter, UninitializedBuffer))
                   for t in list(self._parameters.values()) + list(self._buffers.values()))

    def initialize_parameters(self, input):
        """Reads the input size from `input` and becomes the ordinary layer."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__}: the first input must be a Tensor, got "
                            f"{type(input).__name__}")
        in_size = self._in_size(input)
        some = next(iter(self._parameters.values()), None)
        some = some if some is not None else next(iter(self._buffers.values()), None)
        kwargs = dict(self._lazy_kwargs)
        if some is not None:  # follow a .to(device / dtype) made before the first call
            kwargs["device"], kwargs["dtype"] = some.device, some.dtype
        fresh = self.cls_to_become(in_size, *self._lazy_args, **kwargs)
        for name, value in fresh._parameters.items():
            old = self._parameters.get(name)
            if isinstance(old, Parameter) and value is not None:
                if isinstance(old, UninitializedParameter):
                    old._data = value._data  # the fresh layer's initialization, in place
                    old.__class__ = Parameter
                # else load_state_dict materialized it: its loaded values stay
                fresh._parameters[name] = old
                fresh.__dict__[name] = old
        for name, value in fresh._buffers.items():  # loaded running statistics stay too
            old = self._buffers.get(name)
            if old is not None and value is not None and not isinstance(
                    old, UninitializedBuffer) and tuple(old.shape) == tuple(value.shape):
                fresh._buffers[name] = old
                fresh.__dict__[name] = old
        keep = ("_forward_hooks", "_forward_pre_hooks", "training")
        for key, value in fresh.__dict__.items():
            if key not in keep:
                self.__dict__[key] = value
        for key in ("_lazy_args", "_lazy_kwargs"):
            self.__dict__.pop(key, None)
        self.__class__ = self.cls_to_become

    def forward(self, input, *args, **kwargs):
        self.initialize_parameters(input)
        return self.forward(input, *args, **kwargs)


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose in_features is the last dimension of its first input."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        self._lazy_setup((out_features, bias), dict(device=device, dtype=dtype),
                         ("weight", "bias") if bias else ("weight",))
        if not bias:
            self.register_parameter("bias", None)
        self.in_features, self.out_features = 0, out_features

    def _in_size(self, input):
        if input.ndim == 0:
            raise ValueError("LazyLinear: the first input must have at least one dimension")
        return input.shape[-1]


class _LazyConv(LazyModuleMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        self._lazy_setup((out_channels, kernel_size, stride, padding, dilation, groups, bias,
                          padding_mode), dict(device=device, dtype=dtype),
                         ("weight", "bias") if bias else ("weight",))
        if not bias:
            self.register_parameter("bias", None)
        self.in_channels, self.out_channels = 0, out_channels

    def _in_size(self, input):
        nd = self.cls_to_become.nd
        if input.ndim not in (nd + 1, nd + 2):
            raise ValueError(f"{type(self).__name__}: the first input must be of rank "
                             f"{nd + 1} (unbatched) or {nd + 2} (batched), got shape "
                             f"{tuple(input.shape)}")
        return input.shape[-nd - 1]


class _LazyConvTranspose(_LazyConv):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                 dtype=None):
        self._lazy_setup((out_channels, kernel_size, stride, padding, output_padding, groups,
                          bias, dilation, padding_mode), dict(device=device, dtype=dtype),
                         ("weight", "bias") if bias else ("weight",))
        if not bias:
            self.register_parameter("bias", None)
        self.in_channels, self.out_channels = 0, out_channels


class LazyConv1d(_LazyConv, Conv1d):
    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    cls_to_become = ConvTranspose3d


class _LazyBatchNorm(LazyModuleMixin):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None):
        self._lazy_setup((eps, momentum, affine, track_running_stats),
                         dict(device=device, dtype=dtype),
                         ("weight", "bias") if affine else (),
                         ("running_mean", "running_var") if track_running_stats else ())
        if track_running_stats:
            from ... import creation
            self.register_buffer("num_batches_tracked",
                                 creation.zeros((), device=device, dtype=backend.int64))
        self.num_features, self.eps, self.momentum = 0, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats

    def _in_size(self, input):
        if input.ndim < 2:
            raise ValueError(f"{type(self).__name__}: the first input must be (N, C, ...), "
                             f"got shape {tuple(input.shape)}")
        return input.shape[1]


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyBatchNorm, BatchNorm3d):
    cls_to_become = BatchNorm3d
