"""ActivityRegularization: a layer that passes its input through and adds
l1 * sum|x| + l2 * sum(x ** 2) (over the batch, divided by its size, as Keras) to the loss."""
from __future__ import annotations

from .. import regularizers
from ..engine import Layer


class ActivityRegularization(Layer):
    """The identity, with an activity penalty on its output: `ActivityRegularization(l2=1e-3)`.
    Shape: any -> the same."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = self.activity_regularizer.l1, self.activity_regularizer.l2

    def get_config(self):
        config = {k: v for k, v in super().get_config().items() if k != "activity_regularizer"}
        return {**config, "l1": self.l1, "l2": self.l2}

    def forward(self, x):
        return x
