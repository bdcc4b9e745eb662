"""Encoder-decoder with and without Bahdanau attention, on dates written in sentences of
distractor words ("the meeting moved to 22 Nov 2026 after all" -> "2026-11-22").

What the course shows (seed 000, "Attention mechanisms, machine translation"): instead of
squeezing the input into one vector, the decoder takes at each step a soft argmax over the
encoder's states, and the alignment can be drawn. Bahdanau et al. (2015, Fig. 2): the
fixed-vector encoder-decoder (RNNenc) degrades as sentences grow, the attention model
(RNNsearch) does not. Bare dates are too short to show it, and so is one date in a long
sentence: the encoder learns to skip distractor words, and a fixed vector holds one date at
any length (one date in 15-150 characters, 700 updates: 85% exact match at every length). What
breaks a fixed vector is a growing amount to remember, as in translation, so a sentence of L
characters holds L // 40 dates (at least one; three from 120 characters), each in its own
stretch of distractors, and the target lists them all: "... 3 Aug 1999 ... le 22 novembre
2026 ..." -> "1999-08-03 2026-11-22".

Both models: character embeddings 32, bidirectional GRU encoder and GRU decoder of 64 units,
the same data, batches (64 inputs of similar length), optimizer and number of updates; only
the context differs (fixed c vs attended c_i). Evaluation on 1,000 held-out sentences:
exact match of the greedy output (and of a width-4 beam search), per input length.
"""
from __future__ import annotations

import numpy as np

import brique
from brique.datasets import dates
from brique.models.seq2seq import Seq2Seq

from . import Experiment, pyplot, register
from ._common import (accuracy_by_length, date_task, decode_all, one_blas_thread, smooth,
                      train_seq2seq)

EDGES = [10, 40, 70, 100, 130, 161]
CHARS_PER_DATE = 40
OUT_LEN = 33  # three "YYYY-MM-DD", two spaces and eos


@register
class Seq2SeqAttention(Experiment):
    name = "seq2seq-attention"
    claim = ("On dates inside 15-150 character sentences of distractor words (one date per 40 "
             "characters), a GRU encoder-decoder with additive attention reaches >= 99% exact "
             "match on held-out "
             "inputs; the same model without attention, trained for as many updates, is worse "
             "and its accuracy falls with input length while the attention model's does not.")

    def run(self, ctx):
        steps = ctx.size(1000, 200)
        train, test, vocab = date_task(ctx, CHARS_PER_DATE)
        n_train = len(train)
        results = {}
        with one_blas_thread():
            for attention in (True, False):
                brique.manual_seed(ctx.seed)
                model = Seq2Seq(len(vocab), len(vocab), 32, 64, attention=attention)
                batches = dates.length_batches(train, vocab, 64, seed=ctx.seed)
                losses = train_seq2seq(model, batches, steps)
                results[attention] = self._evaluate(ctx, model, test, vocab, losses)
        ctx.metric("steps", steps)
        self._report(ctx, results, test, vocab, steps, n_train)

    def _evaluate(self, ctx, model, test, vocab, losses):
        sources = [s for s, _ in test]
        greedy = decode_all(model, sources, vocab, OUT_LEN)
        correct = [g == t for g, (_, t) in zip(greedy, test)]
        beam = decode_all(model, sources, vocab, OUT_LEN, beam_width=4) if not ctx.quick \
            else greedy
        return dict(model=model, losses=losses, exact=float(np.mean(correct)),
                    beam=float(np.mean([b == t for b, (_, t) in zip(beam, test)])),
                    by_length=accuracy_by_length(sources, correct, EDGES), decoded=greedy)

    def _report(self, ctx, results, test, vocab, steps, n_train):
        att, plain = results[True], results[False]
        for key, r in (("attention", att), ("no_attention", plain)):
            ctx.metric(f"{key}_exact_match", r["exact"])
            ctx.metric(f"{key}_beam_exact_match", r["beam"])
            ctx.metric(f"{key}_by_length", r["by_length"])
            ctx.metric(f"{key}_final_loss", float(np.mean(r["losses"][-20:])))
        bins = [f"{lo}-{hi - 1}" for lo, hi in zip(EDGES[:-1], EDGES[1:])]
        ctx.table(["model", "exact match (greedy)", "exact match (beam 4)"] + bins,
                  [[name, r["exact"], r["beam"]] + list(r["by_length"])
                   for name, r in (("GRU + attention", att), ("GRU, fixed context", plain))],
                  caption=f"Held-out exact match after {steps} updates of 64 sentences "
                          f"({n_train} training pairs), overall and per input length "
                          f"(characters)")
        examples = [(s, t, a, p) for (s, t), a, p in zip(test, att["decoded"],
                                                         plain["decoded"])][:6]
        ctx.table(["input", "target", "attention", "fixed context"], examples,
                  caption="A few held-out inputs and what each model writes")
        self._figures(ctx, results, test, vocab)
        a_len, p_len = att["by_length"], plain["by_length"]
        if ctx.quick:  # 200 updates on short inputs: only "attention learns faster" is testable
            held = att["exact"] >= 0.5 and att["exact"] > plain["exact"] + 0.3
        else:
            held = att["exact"] >= 0.99 and plain["exact"] < att["exact"] and \
                min(a_len) >= 0.97 and p_len[-1] < p_len[0] - 0.1
        ctx.verdict(held, f"attention {att['exact']:.1%} exact match (per length bin "
                          f"{', '.join(f'{v:.0%}' for v in a_len)}), fixed context "
                          f"{plain['exact']:.1%} ({', '.join(f'{v:.0%}' for v in p_len)}).")

    def _figures(self, ctx, results, test, vocab):
        plt = pyplot()
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
        mids = [(lo + hi) / 2 for lo, hi in zip(EDGES[:-1], EDGES[1:])]
        for attention, label in ((True, "GRU + attention"), (False, "GRU, fixed context")):
            r = results[attention]
            ax.plot(mids, r["by_length"], marker="o", label=label)
            ax2.plot(smooth(r["losses"], 25), label=label)
        ax.set_xlabel("input length (characters)")
        ax.set_ylabel("held-out exact match")
        ax.set_ylim(-0.02, 1.02)
        ax.legend()
        ax2.set_xlabel("update")
        ax2.set_ylabel("training loss (per character)")
        ax2.set_yscale("log")
        ctx.figure(fig, "accuracy_vs_length.png",
                   "Exact match by input length (left, as Bahdanau et al.'s Fig. 2) and "
                   "training loss (right)")
        self._attention_maps(ctx, results[True]["model"], test, vocab)

    def _attention_maps(self, ctx, model, test, vocab):
        plt = pyplot()
        # one sentence with each number of dates, shortest first
        picks = [min((p for p in test if p[1].count(" ") == k), key=lambda p: len(p[0]),
                     default=None) for k in range(3)]
        picks = [p for p in picks if p is not None] or test[:1]
        fig, axes = plt.subplots(len(picks), 1, figsize=(13, 2.3 * len(picks)))
        for ax, (source, target) in zip(np.atleast_1d(axes), picks):
            tokens, attn = model.greedy(brique.tensor(vocab.encode([source])), OUT_LEN)
            out = vocab.decode(tokens.numpy()[0])
            a = attn.numpy()[0, :len(out), :len(source)]
            ax.imshow(a, aspect="auto", cmap="Greys", vmin=0, vmax=1)
            ax.set_xticks(range(len(source)))
            ax.set_xticklabels(list(source), fontsize=7)
            ax.set_yticks(range(len(out)))
            ax.set_yticklabels(list(out), fontsize=7)
        ctx.figure(fig, "attention_maps.png",
                   "Attention of the decoder (rows: characters written) over the input "
                   "(columns: characters read) for held-out sentences with one, two and "
                   "three dates")
