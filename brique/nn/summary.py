"""summary(model, input_shape): Keras's layer table for a brique model."""
from __future__ import annotations

from .. import creation
from ..autograd import no_grad


def summary(model, input_shape, batch_size=1, dtype=None, device=None, print_fn=print):
    """Run one forward pass on zeros of `(batch_size, *input_shape)` and print, for each leaf
    layer, its output shape and parameter count. Returns (total, trainable) parameter counts."""
    rows, handles = [], []

    def record(name):
        def hook(module, inputs, output):
            out = output[0] if isinstance(output, tuple) else output
            shape = tuple(out.shape) if hasattr(out, "shape") else "?"
            params = sum(p.numel() for p in module.parameters(recurse=False))
            rows.append((f"{name} ({type(module).__name__})", shape, params))
        return hook

    for name, m in model.named_modules():
        if name and not m._modules:  # leaf layers only
            handles.append(m.register_forward_hook(record(name)))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(creation.zeros((batch_size,) + tuple(input_shape), dtype=dtype, device=device))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    width = max([len(r[0]) for r in rows] + [20]) + 2
    line = "=" * (width + 36)
    print_fn(line)
    print_fn(f"{'Layer (type)':<{width}}{'Output Shape':<24}{'Param #':>12}")
    print_fn(line)
    for name, shape, params in rows:
        print_fn(f"{name:<{width}}{str(shape):<24}{params:>12,}")
    print_fn(line)
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    print_fn(line)
    return total, trainable
