"""All parameters as one flat vector and back (PyTorch's torch.nn.utils names): for methods that
see the weights as a single point (line searches, weight averaging, Hessian-vector products)."""
from __future__ import annotations

from ...autograd import no_grad
from ...ops.movement import cat


def parameters_to_vector(parameters):
    """One 1-D tensor of every parameter, flattened in order (differentiable).

    Shape: parameters of n_1, n_2, ... elements -> (n_1 + n_2 + ...,)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of `vec` into the parameters, in order."""
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: expected a 1-D vector, got shape "
                         f"{tuple(vec.shape)}")
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if vec.numel() != total:
        raise ValueError(f"vector_to_parameters: the vector has {vec.numel()} elements, the "
                         f"parameters {total}")
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec[offset:offset + n].reshape(p.shape))
            offset += n
