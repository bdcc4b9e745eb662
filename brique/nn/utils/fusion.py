"""Fold an evaluation-mode BatchNorm into the Conv or Linear layer before it: the pair
computes gamma (W x + b - mean) / sqrt(var + eps) + beta, an affine map of x, so one layer
with rescaled weights does the same work (inference speed-up)."""
from __future__ import annotations

import copy

from ... import creation
from ...autograd import no_grad
from ..parameter import Parameter


def _check_eval(op, layer, bn):
    if layer.training or bn.training:
        raise ValueError(f"{op}: fusion only for eval (call .eval() on both modules first)")
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError(f"{op}: bn.running_mean and bn.running_var must not be None "
                         "(BatchNorm built with track_running_stats=False)")


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The weight and bias (Parameters) of one conv equal to conv then BatchNorm. transpose:
    the weight is a ConvTranspose one (output channels on dim 1)."""
    w_dtype = conv_w.dtype
    b_dtype = conv_b.dtype if conv_b is not None else w_dtype
    with no_grad():
        if conv_b is None:
            conv_b = creation.zeros_like(bn_rm)
        bn_w = creation.ones_like(bn_rm) if bn_w is None else bn_w
        bn_b = creation.zeros_like(bn_rm) if bn_b is None else bn_b
        scale = bn_w * (bn_rv + bn_eps).rsqrt()
        shape = ([1, -1] if transpose else [-1, 1]) + [1] * (conv_w.ndim - 2)
        w = (conv_w * scale.reshape(shape)).to(w_dtype)
        b = ((conv_b - bn_rm) * scale + bn_b).to(b_dtype)
    return Parameter(w, conv_w.requires_grad), Parameter(b, conv_b.requires_grad)


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of `conv` (eval mode) with `bn` (eval mode) folded in."""
    _check_eval("fuse_conv_bn_eval", conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The weight and bias (Parameters) of one Linear equal to Linear then BatchNorm1d."""
    w_dtype = linear_w.dtype
    b_dtype = linear_b.dtype if linear_b is not None else w_dtype
    with no_grad():
        if linear_b is None:
            linear_b = creation.zeros_like(bn_rm)
        scale = bn_w * (bn_rv + bn_eps).rsqrt()
        w = (linear_w * scale.unsqueeze(-1)).to(w_dtype)
        b = ((linear_b - bn_rm) * scale + bn_b).to(b_dtype)
    return Parameter(w, linear_w.requires_grad), Parameter(b, linear_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    """A copy of `linear` (eval mode) with `bn` (eval mode) folded in."""
    _check_eval("fuse_linear_bn_eval", linear, bn)
    if not (linear.out_features == bn.num_features or bn.num_features == 1):
        raise ValueError(f"fuse_linear_bn_eval: to fuse, linear.out_features "
                         f"({linear.out_features}) must equal bn.num_features "
                         f"({bn.num_features}), or bn.num_features must be 1")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused
