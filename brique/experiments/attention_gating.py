"""The course's Keras attention listing: a softmax Dense layer weighs the inputs and its output
multiplies them, so the weights say where the network looks.

Seed 000 ("Attention mechanism, implementation in Keras"):

    inputs = Input(shape=(input_dims,))
    attention_probs = Dense(input_dims, activation='softmax', name='attention_probs')(inputs)
    attention_mul = merge([inputs, attention_probs], output_shape=32, name='attention_mul',
                          mode='mul')

followed here by Dense(64) and a sigmoid output. Data: 32 standard-normal features and a
random 0/1 label copied into feature 1; the other 31 features are noise. After training, the
mean of `attention_probs` over held-out inputs is far larger on feature 1 than on any other
(uniform attention would be 1/32 on each). The listing runs unchanged on `brique.keras`.
"""
from __future__ import annotations

import numpy as np

from . import Experiment, pyplot, register
from ._common import one_blas_thread

INPUT_DIMS, LABEL_FEATURE = 32, 1


def make_data(n, seed):
    """x (n, 32) standard normal with x[:, 1] = y; y (n, 1) random 0/1."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, INPUT_DIMS)).astype(np.float32)
    y = rng.integers(0, 2, (n, 1))
    x[:, LABEL_FEATURE] = y[:, 0]
    return x, y


def build_listing(input_dims=INPUT_DIMS):
    """The course's listing (Keras 2 functional API) -> (model, attention probe model)."""
    from brique.keras.layers import Dense, Input, merge
    from brique.keras.models import Model
    inputs = Input(shape=(input_dims,))
    attention_probs = Dense(input_dims, activation='softmax', name='attention_probs')(inputs)
    attention_mul = merge([inputs, attention_probs], output_shape=32, name='attention_mul',
                          mode='mul')
    attention_mul = Dense(64)(attention_mul)
    output = Dense(1, activation='sigmoid')(attention_mul)
    model = Model(inputs=[inputs], outputs=output)
    model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
    return model, Model(inputs=inputs, outputs=attention_probs)


@register
class AttentionGating(Experiment):
    name = "attention-gating"
    claim = ("In the course's Keras listing (a softmax Dense layer whose output multiplies the "
             "inputs), trained on 32 features of which only feature 1 carries the label, the "
             "mean attention on feature 1 ends at least 5 times the largest attention on any "
             "other feature, and held-out accuracy reaches 99%.")

    def run(self, ctx):
        n, epochs = ctx.size(10000, 5000), ctx.size(30, 16)
        x, y = make_data(n, ctx.seed)
        x_test, y_test = make_data(2000, ctx.seed + 1)
        model, probe = build_listing()
        with one_blas_thread():
            history = model.fit([x], y, epochs=epochs, batch_size=64, validation_split=0.2,
                                verbose=0)
        accuracy = float(((model.predict(x_test) > 0.5) == y_test).mean())
        attention = probe.predict(x_test).mean(0)
        self._report(ctx, history.history, attention, accuracy, n, epochs)

    def _report(self, ctx, history, attention, accuracy, n, epochs):
        others = np.delete(attention, LABEL_FEATURE)
        ratio = float(attention[LABEL_FEATURE] / others.max())
        ctx.metric("attention", attention)
        ctx.metric("attention_on_label_feature", float(attention[LABEL_FEATURE]))
        ctx.metric("max_attention_elsewhere", float(others.max()))
        ctx.metric("attention_ratio", ratio)
        ctx.metric("test_accuracy", accuracy)
        ctx.metric("val_accuracy_per_epoch", history["val_accuracy"])
        ctx.table(["", "value"], [
            ["training inputs, epochs", f"{int(n * 0.8)}, {epochs}"],
            ["mean attention on feature 1 (the label)", float(attention[LABEL_FEATURE])],
            ["largest mean attention on another feature", float(others.max())],
            ["uniform attention", 1 / INPUT_DIMS],
            ["ratio", ratio],
            ["held-out accuracy (2,000 inputs)", accuracy]],
            caption="The softmax gate after training (means over 2,000 held-out inputs)")
        plt = pyplot()
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.4),
                                      gridspec_kw={"width_ratios": [2, 1]})
        colors = ["#d62728" if i == LABEL_FEATURE else "#1f77b4" for i in range(INPUT_DIMS)]
        ax.bar(range(INPUT_DIMS), attention, color=colors)
        ax.axhline(1 / INPUT_DIMS, color="k", lw=0.8, ls="--", label="uniform 1/32")
        ax.set_xlabel("input feature")
        ax.set_ylabel("mean attention_probs")
        ax.legend()
        ax2.plot(range(1, epochs + 1), history["val_accuracy"], marker=".")
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("validation accuracy")
        ctx.figure(fig, "attention.png",
                   "Mean attention per input feature (red: feature 1, a copy of the label) "
                   "and validation accuracy per epoch")
        held = ratio >= 5 and accuracy >= 0.99
        ctx.verdict(held, f"mean attention {attention[LABEL_FEATURE]:.3f} on feature 1 vs at "
                          f"most {others.max():.3f} elsewhere ({ratio:.1f}x; uniform is "
                          f"{1 / INPUT_DIMS:.3f}); held-out accuracy {accuracy:.4f}.")
