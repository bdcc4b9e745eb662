"""Per-sample normalization layers: LayerNormalization, GroupNormalization, UnitNormalization.

Each normalizes every sample on its own (no batch statistics, the same in training and
evaluation) through brique's functionals (`F.layer_norm`, `F.group_norm`, `F.normalize`).
Keras's defaults: epsilon 1e-3, gamma ones, beta zeros; weights [gamma, beta].
"""
from __future__ import annotations

from ... import creation
from ...nn import functional as F
from ...nn.parameter import Parameter
from ..engine import Layer
from .core import _init


def _axes(axis, rank, layer):
    """Keras's axis argument (an int or a list of ints, negative from the end) as sorted
    non-negative axes of a rank-`rank` input, the batch axis excluded."""
    if isinstance(axis, bool) or not isinstance(axis, (int, list, tuple)) or (
            isinstance(axis, (list, tuple)) and not all(isinstance(a, int) for a in axis)):
        raise TypeError(f"{layer}: axis must be an int or a list of ints, got {axis!r}")
    out = []
    for a in (list(axis) if isinstance(axis, (list, tuple)) else [axis]):
        if not -rank <= a < rank or a % rank == 0:
            raise ValueError(f"{layer}: axis {a} is out of bounds (or the batch axis) for an "
                             f"input of rank {rank}")
        out.append(a % rank)
    if not out or len(set(out)) != len(out):
        raise ValueError(f"{layer}: axis must name distinct axes, got {axis!r}")
    return sorted(out)


class _Affine(Layer):
    """gamma and beta over the normalized axes, created on build."""
    supports_masking = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        if not (isinstance(epsilon, (int, float)) and epsilon >= 0):
            raise ValueError(f"{type(self).__name__}: epsilon must be a number >= 0, got "
                             f"{epsilon!r}")
        self.axis, self.epsilon, self.center, self.scale = axis, float(epsilon), center, scale
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": self.beta_initializer,
                "gamma_initializer": self.gamma_initializer}

    def _make_weights(self, shape):
        # Keras's order: gamma, then beta (the parameters' registration order).
        self.gamma = Parameter(creation.ones(*shape)) if self.scale else None
        self.beta = Parameter(creation.zeros(*shape)) if self.center else None
        if self.scale:
            _init(self.gamma, self.gamma_initializer)
        if self.center:
            _init(self.beta, self.beta_initializer)

    def compute_output_shape(self, input_shape):
        _axes(self.axis, len(input_shape), self.name)
        return input_shape


class LayerNormalization(_Affine):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta, the statistics of each sample over
    `axis` (the features: -1; a list normalizes over several axes, gamma and beta then span
    them all), as `F.layer_norm` on those axes moved last.

    Shape: (N, ...) -> same."""

    def build(self, input_shape):
        axes = _axes(self.axis, len(input_shape), self.name)
        shape = [input_shape[a] for a in axes]
        if None in shape:
            raise ValueError(f"{self.name}: the normalized axes {axes} must have known sizes, "
                             f"got input shape {tuple(input_shape)}")
        self.axes, self.gamma_shape = axes, shape
        self._make_weights(shape)

    def forward(self, x):
        rank, axes = x.ndim, self.axes
        if [x.shape[a] if a < rank else None for a in axes] != list(self.gamma_shape):
            raise ValueError(f"{self.name}: built for axes {axes} of sizes {self.gamma_shape}, "
                             f"got an input of shape {tuple(x.shape)}")
        rest = [d for d in range(rank) if d not in axes]
        order = rest + axes
        moved = x.permute(*order) if order != list(range(rank)) else x
        out = F.layer_norm(moved, [x.shape[a] for a in axes], self.gamma, self.beta,
                           self.epsilon)
        if moved is x:
            return out
        back = [order.index(d) for d in range(rank)]
        return out.permute(*back)


class GroupNormalization(_Affine):
    """Splits the channels (`axis`, -1) into `groups` and normalizes each sample over each
    group and all positions, then scales and shifts per channel (`F.group_norm` on the
    channels moved to axis 1). groups=-1: one group per channel (instance normalization).

    Shape: (N, ..., C) -> same."""

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, **kwargs):
        super().__init__(axis=axis, epsilon=epsilon, center=center, scale=scale, **kwargs)
        if isinstance(groups, bool) or not isinstance(groups, int) or \
                not (groups > 0 or groups == -1):
            raise ValueError(f"GroupNormalization: groups must be a positive int (or -1 for "
                             f"instance normalization), got {groups!r}")
        if not isinstance(axis, int):
            raise TypeError(f"GroupNormalization: axis must be an int, got {axis!r}")
        self.groups = groups

    def get_config(self):
        return {**super().get_config(), "groups": self.groups}

    def build(self, input_shape):
        axis = _axes(self.axis, len(input_shape), self.name)[0]
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"{self.name}: axis {self.axis} of the input must have a known "
                             f"size, got input shape {tuple(input_shape)}")
        groups = channels if self.groups == -1 else self.groups
        if groups > channels or channels % groups:
            raise ValueError(f"{self.name}: {channels} channels cannot be split into "
                             f"{groups} groups of equal size")
        self.channel_axis, self.num_groups = axis, groups
        self._make_weights([channels])

    def forward(self, x):
        moved = x.movedim(self.channel_axis, 1) if self.channel_axis != 1 else x
        out = F.group_norm(moved, self.num_groups, self.gamma, self.beta, self.epsilon)
        return out.movedim(1, self.channel_axis) if self.channel_axis != 1 else out


class UnitNormalization(Layer):
    """x / ||x||_2 over `axis` (-1, or a list of axes): each sample's vectors to unit length,
    as `F.normalize`. No weights.

    Shape: (N, ...) -> same."""
    float_inputs = True
    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        _axes(axis, 64, type(self).__name__)  # type check now, bounds on the first call
        self.axis = axis

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

    def compute_output_shape(self, input_shape):
        _axes(self.axis, len(input_shape), self.name)
        return input_shape

    def forward(self, x):
        axes = _axes(self.axis, x.ndim, self.name)
        # Keras divides by sqrt(max(sum(x^2), 1e-12)), F.normalize by max(norm, eps): the
        # same once eps is the square root.
        return F.normalize(x, 2.0, axes[0] if len(axes) == 1 else tuple(axes), 1e-6)
