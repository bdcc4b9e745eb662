"""Penalties to add to a loss (Keras's kernel_regularizer and activity_regularizer):

    loss = criterion(model(x), y) + nn.l2_penalty(model, 1e-4)

Each returns a differentiable scalar Tensor. Note that l2_penalty(params, w) adds 2 w p to
each gradient: the same as an optimizer's weight_decay = 2 w.
"""
from __future__ import annotations

from ..tensor import Tensor
from .modules.module import Module


def _tensors(parameters, op):
    if isinstance(parameters, Module):
        return list(parameters.parameters())
    if isinstance(parameters, Tensor):
        return [parameters]
    params = list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected a Module, a Tensor or an iterable of Tensors, got "
                            f"an element of type {type(p).__name__}")
    return params


def _total(terms, op):
    if not terms:
        raise ValueError(f"{op}: no parameters to penalize")
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def l1_penalty(parameters, weight=0.01):
    """weight * sum |p| over the given tensors (a Module: all its parameters; pass e.g.
    `[layer.weight for layer in layers]` to spare biases, as Keras's kernel_regularizer does).
    Drives weights to exactly zero: sparse models."""
    params = _tensors(parameters, "l1_penalty")
    return _total([p.abs().sum() for p in params], "l1_penalty") * weight


def l2_penalty(parameters, weight=0.01):
    """weight * sum p^2 over the given tensors (Keras's l2 regularizer; a Module: all its
    parameters). Shrinks weights towards zero: weight decay."""
    params = _tensors(parameters, "l2_penalty")
    return _total([(p * p).sum() for p in params], "l2_penalty") * weight


def activity_l1(output, weight=0.01):
    """weight * sum |output|: pushes a layer's activations towards sparsity (Keras's
    activity_regularizer=l1). Summed over the batch too; divide weight by the batch size for
    a per-sample penalty."""
    return output.abs().sum() * weight


def activity_l2(output, weight=0.01):
    """weight * sum output^2 over a layer's activations (Keras's activity_regularizer=l2)."""
    return (output * output).sum() * weight
