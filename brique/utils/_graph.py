"""A model's graph for TensorBoard (SummaryWriter.add_graph): one forward with autograd
recording, then the recorded nodes read back from the outputs, inputs first."""
from __future__ import annotations

from .. import autograd
from ..tensor import Tensor


def _as_inputs(x):
    items = x if isinstance(x, (tuple, list)) else (x,)
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"add_graph: input_to_model must be a Tensor or a tuple of Tensors, "
                            f"got {type(t).__name__}")
    # Fresh leaves that require grad, so that ops on the input alone are recorded too.
    return [t.detach().requires_grad_(t.dtype.kind == "f") for t in items]


def trace_graph(model, input_to_model):
    """[(name, op, [input names])] of the ops of model(*input_to_model)."""
    if input_to_model is None:
        raise ValueError("add_graph: give input_to_model, an example input the model can run on")
    inputs = _as_inputs(input_to_model)
    names = {id(t): f"input/{i}" for i, t in enumerate(inputs)}
    names.update({id(p): f"{type(model).__name__}/{n}" for n, p in model.named_parameters()})
    nodes = [(names[id(t)], "IO Node", []) for t in inputs]
    nodes += [(name, "Parameter", []) for key, name in names.items()
              if name.startswith(f"{type(model).__name__}/")]
    with autograd.enable_grad():
        out = model(*inputs)
    outs = [t for t in (out if isinstance(out, (tuple, list)) else (out,))
            if isinstance(t, Tensor)]
    # autograd's own walk, inputs first: the ops in the order they ran
    order = [t._ctx for t in reversed(autograd._topo_order(outs)) if t._ctx is not None]
    produced = {}
    for k, fn in enumerate(order):
        op = type(fn).__name__
        name = f"{op}_{k}"
        produced[id(fn)] = name
        args = []
        for t in fn.inputs or ():
            if isinstance(t, Tensor):
                src = produced.get(id(t._ctx)) if t._ctx is not None else names.get(id(t))
                if src is not None:
                    args.append(src)
        nodes.append((name, op, args))
    for i, t in enumerate(outs):
        src = produced.get(id(t._ctx)) if t._ctx is not None else names.get(id(t))
        nodes.append((f"output/{i}", "IO Node", [src] if src else []))
    return nodes
