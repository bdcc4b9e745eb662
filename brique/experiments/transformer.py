"""A small Transformer encoder-decoder against the recurrent encoder-decoders, at the same
budget, on dates inside sentences of distractor words (the seq2seq-attention task).

What the course cites (seed 001, [Transformers] Vaswani et al. 2017, "Attention is all you
need"): no recurrence, only attention, with several heads. Here: d_model 64, 4 heads, 2
encoder and 2 decoder layers (pre-norm), feed-forward 128, sinusoidal positions; the GRU
models of seq2seq-attention (embeddings 32, 64 units) with and without additive attention.
The three get the same data, batches, optimizer and number of updates; the report gives
their held-out exact match, parameter counts and training time, and draws the heads of the
Transformer's last cross-attention layer over the characters of an input.
"""
from __future__ import annotations

import time

import numpy as np

import brique
from brique.datasets import dates
from brique.models.seq2seq import Seq2Seq
from brique.models.transformer_seq2seq import TransformerSeq2Seq

from . import Experiment, pyplot, register
from ._common import (accuracy_by_length, date_task, decode_all, one_blas_thread,
                      train_seq2seq)

OUT_LEN = 11
EDGES = [10, 40, 70, 100, 130, 161]


def make_models(vocab_size):
    return {
        "Transformer (2+2 layers, 4 heads)": lambda: TransformerSeq2Seq(
            vocab_size, vocab_size, d_model=64, nhead=4, num_layers=2, dim_feedforward=128),
        "GRU + attention": lambda: Seq2Seq(vocab_size, vocab_size, 32, 64, attention=True),
        "GRU, fixed context": lambda: Seq2Seq(vocab_size, vocab_size, 32, 64,
                                              attention=False),
    }


@register
class TransformerExperiment(Experiment):
    name = "transformer"
    claim = ("On dates inside 15-150 character sentences of distractor words, at the same "
             "budget of 600 updates, a small Transformer learns the task (>= 20% held-out "
             "exact match) but stays behind the GRU encoder-decoder with additive attention, "
             "whose left-to-right scan suits it; the Transformer's attention heads are drawn.")

    def run(self, ctx):
        steps = ctx.size(600, 120)
        train, test, vocab = date_task(ctx)
        results = {}
        with one_blas_thread():
            for name, make in make_models(len(vocab)).items():
                brique.manual_seed(ctx.seed)
                model = make()
                start = time.perf_counter()
                lr = 2e-3 if isinstance(model, TransformerSeq2Seq) else 3e-3
                losses = train_seq2seq(model, dates.length_batches(train, vocab, 64, ctx.seed),
                                       steps, lr=lr)
                seconds = time.perf_counter() - start
                decoded = decode_all(model, [s for s, _ in test], vocab, OUT_LEN)
                correct = [d == t for d, (_, t) in zip(decoded, test)]
                results[name] = dict(model=model, seconds=seconds, exact=float(np.mean(correct)),
                                     by_length=accuracy_by_length([s for s, _ in test], correct,
                                                                  EDGES),
                                     params=sum(p.numel() for p in model.parameters()),
                                     loss=float(np.mean(losses[-20:])))
        self._report(ctx, results, test, vocab, steps)

    def _report(self, ctx, results, test, vocab, steps):
        keys = {"Transformer (2+2 layers, 4 heads)": "transformer",
                "GRU + attention": "gru_attention", "GRU, fixed context": "gru_fixed"}
        for name, r in results.items():
            for field in ("exact", "seconds", "params", "by_length", "loss"):
                ctx.metric(f"{keys[name]}_{field}", r[field])
        bins = [f"{lo}-{hi - 1}" for lo, hi in zip(EDGES[:-1], EDGES[1:])]
        ctx.table(["model", "parameters", "training time (s)", "exact match"] + bins,
                  [[name, r["params"], r["seconds"], r["exact"]] + list(r["by_length"])
                   for name, r in results.items()],
                  caption=f"Same budget: {steps} updates of 64 sentences, Adam (lr 2e-3 for "
                          f"the Transformer, 3e-3 for the GRUs); held-out exact match overall "
                          f"and per input length (characters)")
        self._heads(ctx, results["Transformer (2+2 layers, 4 heads)"]["model"], test, vocab)
        tr = results["Transformer (2+2 layers, 4 heads)"]
        gru = results["GRU + attention"]["exact"]
        fixed = results["GRU, fixed context"]["exact"]
        # Quick (120 updates, inputs <= 45 characters): only that the Transformer trains and
        # is ahead of the fixed-context GRU; on such short inputs it keeps up with the GRU.
        held = tr["exact"] >= 0.2 and gru > tr["exact"] if not ctx.quick else \
            tr["loss"] < 1.5 and tr["exact"] > fixed
        ctx.verdict(held, "exact match: " + ", ".join(f"{n} {r['exact']:.1%}"
                                                      for n, r in results.items()) + ".")

    def _heads(self, ctx, model, test, vocab):
        source, target = next(p for p in test if 30 <= len(p[0]) < 70)
        src = brique.tensor(vocab.encode([source]))
        tokens, _ = model.greedy(src, OUT_LEN)
        out = vocab.decode(tokens.numpy()[0])
        tgt_in = brique.tensor(vocab.encode([out], bos=True))
        maps = model.cross_attention(src, tgt_in)[-1].numpy()[0]   # (heads, T, S)
        plt = pyplot()
        fig, axes = plt.subplots(len(maps), 1, figsize=(12, 1.9 * len(maps)))
        for h, ax in enumerate(axes):
            ax.imshow(maps[h][:len(out)], aspect="auto", cmap="Greys", vmin=0, vmax=1)
            ax.set_xticks(range(len(source)))
            ax.set_xticklabels(list(source), fontsize=7)
            ax.set_yticks(range(len(out)))
            ax.set_yticklabels(["<s>"] + list(out[:-1]), fontsize=6)
            ax.set_ylabel(f"head {h + 1}")
        ctx.figure(fig, "heads.png",
                   f"The 4 heads of the last decoder layer's cross-attention while writing "
                   f"{out!r} (rows: the character just written) over the input's characters")
