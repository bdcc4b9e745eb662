"""Recording one forward pass as a list of calls: every primitive (through the hook in
`Function.apply`), and whole modules where ONNX has an operator of their own (RNN, LSTM, GRU)."""
from __future__ import annotations

from .. import autograd
from ..autograd import no_grad
from ..nn.modules.rnn import GRU, LSTM, RNN

# Modules exported as one ONNX operator: the primitives inside them are not recorded.
WHOLE_MODULES = (RNN, LSTM, GRU)


class Call:
    """One traced call: a primitive class (or a module), its inputs, parameters and output."""
    __slots__ = ("op", "inputs", "params", "output", "where")

    def __init__(self, op, inputs, params, output, where):
        self.op, self.inputs, self.params, self.output, self.where = (op, inputs, params, output,
                                                                      where)

    @property
    def op_name(self):
        return type(self.op).__name__ if not isinstance(self.op, type) else self.op.__name__


class Tracer:
    def __init__(self, model):
        self.calls, self.stack, self.inside_whole = [], [], 0
        self.paths = {id(m): (name or "<model>") for name, m in model.named_modules()}

    def where(self):
        if not self.stack:
            return "the model's forward"
        module = self.stack[-1]
        return f"module '{self.paths.get(id(module), '?')}' ({type(module).__name__})"

    def record(self, cls, inputs, params, output):
        if not self.inside_whole:
            self.calls.append(Call(cls, inputs, params, output, self.where()))

    def pre(self, module, args):
        self.stack.append(module)
        if isinstance(module, WHOLE_MODULES):
            self.inside_whole += 1

    def post(self, module, args, output):
        if isinstance(module, WHOLE_MODULES):
            self.inside_whole -= 1
            if not self.inside_whole:
                self.calls.append(Call(module, args, {}, output, self.where()))
        self.stack.pop()


def trace(model, args, kwargs):
    """Run `model(*args, **kwargs)` in eval mode without gradients, recording every call."""
    tracer = Tracer(model)
    handles = []
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(tracer.pre))
        handles.append(m.register_forward_hook(tracer.post))
    was_training = model.training
    model.eval()
    autograd._tracer = tracer
    try:
        with no_grad():
            output = model(*args, **kwargs)
    finally:
        autograd._tracer = None
        for h in handles:
            h.remove()
        model.train(was_training)
    return tracer, output
