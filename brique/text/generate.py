"""Sampling text from a language model: greedy, temperature and top-k, in one call.

A language model here is any callable `model(ids, state) -> (logits, state)` taking ids
(N, L) int64 (batch first) and the state it returned last (None at first), and returning
logits (N, L, V) (brique.models.RNNLanguageModel follows it).

    text = generate(model, "ROMEO:\n", 200, vocab=chars, temperature=0.8, top_k=10, seed=0)
"""
from __future__ import annotations

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


def sample_logits(logits, temperature=1.0, top_k=None, rng=None):
    """One id per row of `logits` (N, V): the argmax when temperature == 0 (greedy), else a
    draw from softmax(logits / temperature) restricted to the `top_k` largest logits.

    Shape: logits (N, V) (Tensor or array) -> int64 NumPy array (N,).
    """
    logits = np.asarray(getattr(logits, "_data", logits), dtype=np.float64)
    logits = getattr(logits, "get", lambda: logits)()  # a CuPy array comes to the host
    if logits.ndim != 2:
        raise ValueError(f"sample_logits: logits must be (N, V), got shape {logits.shape}")
    if temperature < 0:
        raise ValueError(f"sample_logits: temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(1)
    if top_k is not None:
        if not 1 <= top_k:
            raise ValueError(f"sample_logits: top_k must be >= 1, got {top_k}")
        k = min(int(top_k), logits.shape[1])
        kth = np.partition(logits, -k, axis=1)[:, -k][:, None]
        logits = np.where(logits >= kth, logits, -np.inf)
    z = logits / temperature
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    rng = rng if rng is not None else np.random.default_rng()
    u = rng.random((len(p), 1))
    return np.minimum((p.cumsum(1) < u).sum(1), p.shape[1] - 1)


def generate(model, prompt, length, vocab=None, temperature=1.0, top_k=None, seed=None,
             greedy=False):
    """Continue `prompt` by `length` tokens sampled from `model`, one step at a time, the
    state carried between steps.

    prompt: a str (encoded with `vocab`), or ids (a list or 1-D array). Returns the prompt
    followed by the generated tokens: a str when `vocab` is given, else an int64 array.
    greedy=True (or temperature=0) takes the most likely token at each step.
    """
    if isinstance(prompt, str):
        if vocab is None:
            raise ValueError("generate: a str prompt needs the vocab to encode it")
        ids = vocab.encode(prompt)
    else:
        ids = np.asarray(getattr(prompt, "_data", prompt), dtype=np.int64).reshape(-1)
    if len(ids) == 0:
        raise ValueError("generate: the prompt must hold at least one token")
    rng = np.random.default_rng(seed)
    temperature = 0.0 if greedy else temperature
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    out = list(ids.tolist())
    try:
        with no_grad():
            logits, state = model(Tensor._make(ids[None, :]), None)
            for _ in range(length):
                nxt = int(sample_logits(logits[:, -1], temperature, top_k, rng)[0])
                out.append(nxt)
                logits, state = model(Tensor._make(np.array([[nxt]], dtype=np.int64)), state)
    finally:
        if was_training:
            model.train()
    out = np.array(out, dtype=np.int64)
    return vocab.decode_text(out) if vocab is not None else out
