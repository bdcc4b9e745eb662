"""What the experiments share (they never import each other): the mnist-5k subsets, image
figures, batched inference, the autoencoder training loop, the GAN judge, and curve smoothing.

Host-side code: NumPy arrays in, NumPy arrays out, tensors only at the model's edge.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import datasets, recipes
from brique.nn import functional as F
from brique.train import sample_generator

from .base import pyplot

# Adam as DCGAN (Radford et al., 2015) sets it: a small step and a short first-moment memory.
GAN_ADAM = dict(lr=2e-4, betas=(0.5, 0.999))


def mnist_subset(train=True, n=None, rng=None, *, scale, flat=False, pick="choice"):
    """A subset of mnist-5k as (images float32, labels int64) NumPy arrays.

    scale: "unit" (pixels / 255, in [0, 1]), "signed" (in [-1, 1], a tanh generator's range)
    or a (mean, std) pair applied to the unit pixels. Every caller says which.
    pick: how n images are drawn with `rng` (a numpy Generator): "choice" takes
    `rng.choice(N, n, replace=False)` in dataset order (all N in order, drawing nothing, when
    n is None or >= N); "permutation" takes `rng.permutation(N)[:n]` in that shuffled order.
    Shape: images (n, 1, 28, 28), or (n, 784) with flat=True; labels (n,).
    """
    ds = datasets.load("mnist-5k", train=train, transform=None)
    size = len(ds)
    if pick == "permutation":
        idx = rng.permutation(size)[:n]
    elif pick == "choice":
        idx = np.arange(size) if n is None or n >= size else \
            np.sort(rng.choice(size, n, replace=False))
    else:
        raise ValueError(f"mnist_subset: pick must be 'choice' or 'permutation', got {pick!r}")
    x = ds.images[idx].astype(np.float32)
    if scale == "unit":
        x = x / 255.0
    elif scale == "signed":
        x = x / 127.5 - 1.0
    elif isinstance(scale, tuple) and len(scale) == 2:
        x = (x / 255.0 - scale[0]) / scale[1]
    else:
        raise ValueError(f"mnist_subset: scale must be 'unit', 'signed' or (mean, std), "
                         f"got {scale!r}")
    x = x.reshape(len(idx), -1) if flat else x.reshape(len(idx), 1, 28, 28)
    return x, np.asarray(ds.labels[idx]).astype(np.int64)


def mnist_tensors(n_train, n_test, seed, scale="unit"):
    """(x, y, x_test, y_test) tensors: n_train training and n_test test images of mnist-5k,
    each drawn by `rng.permutation` from one generator seeded with `seed` (the files are sorted
    by class), images (N, 1, 28, 28) scaled by `scale` (see mnist_subset)."""
    rng = np.random.default_rng(seed)
    x, y = mnist_subset(True, n_train, rng, scale=scale, pick="permutation")
    xt, yt = mnist_subset(False, n_test, rng, scale=scale, pick="permutation")
    return tuple(brique.tensor(a) for a in (x, y, xt, yt))


def standardize(x, *others):
    """(x - mean) / std with x's mean and std (Python floats), applied to x and every array of
    `others`; returns the arrays then (mean, std)."""
    mean, std = float(x.mean()), float(x.std())
    return tuple((a - mean) / std for a in (x,) + others) + ((mean, std),)


def one_per_digit(labels):
    """Indices of the first image of each digit present, in digit order (figures)."""
    return [int(np.flatnonzero(labels == d)[0]) for d in range(10) if (labels == d).any()]


def mse(a, b):
    return float(np.mean((a - b) ** 2))


def smooth(values, k):
    """Running mean over the last k values (over fewer at the start): same length as values."""
    c = np.cumsum(np.insert(np.asarray(values, dtype=float), 0, 0.0))
    i = np.arange(1, len(values) + 1)
    lo = np.maximum(0, i - k)
    return (c[i] - c[lo]) / (i - lo)


# ---- batched inference --------------------------------------------------------------------

def in_batches(fn, x, batch_size=500):
    """np.concatenate of fn(tensor of a slice of x) as NumPy, without a graph."""
    with brique.no_grad():
        return np.concatenate([fn(brique.tensor(x[i:i + batch_size])).numpy()
                               for i in range(0, len(x), batch_size)])


def reconstruct(model, x, batch_size=500):
    """model(x) in eval mode without a graph, as a NumPy array."""
    model.eval()
    return in_batches(model, x, batch_size)


def encode(model, x, batch_size=500):
    """model.encode(x) in eval mode without a graph, as a NumPy array."""
    model.eval()
    return in_batches(model.encode, x, batch_size)


def train_autoencoder(model, x, epochs, optimizer, batch_size=64, seed=0, penalty=None,
                      target=None):
    """Minimize binary cross-entropy between model(x) and x (or `target`), plus
    `penalty(model)` if given, with shuffled minibatches; returns the mean loss per epoch."""
    rng = np.random.default_rng(seed)
    target = x if target is None else target
    losses = []
    model.train()
    for _ in range(epochs):
        order, total = rng.permutation(len(x)), 0.0
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            xb, yb = brique.tensor(x[idx]), brique.tensor(target[idx])
            optimizer.zero_grad()
            loss = F.binary_cross_entropy(model(xb), yb)
            if penalty is not None:
                loss = loss + penalty(model)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / len(x))
    return losses


# ---- the GANs' judge and samples --------------------------------------------------------------

def train_classifier(seed, epochs):
    """The judge: brique's LeNet-5 trained on the real mnist-5k training digits by the default
    recipe of `brique train` (random shifts, SGD with Nesterov momentum, one-cycle schedule;
    97.3-97.8% test accuracy in 20 epochs). Returns ((model, (mean, std) of its input
    normalization), test accuracy)."""
    result = recipes.train("lenet5", "mnist-5k", epochs=epochs, seed=seed, verbose=0)
    return (result["model"], result["config"]["normalize"]), result["test_accuracy"]


def classify(clf, images):
    """(predicted classes, max softmax probabilities) of the judge on images in [-1, 1]."""
    model, (mean, std) = clf
    x = ((images + 1) / 2 - mean) / std  # back to the [0, 1] pixels it was trained on
    logits = brique.train.predict(model, brique.tensor(x.astype(np.float32)), batch_size=500)
    p = logits.softmax(dim=1).numpy()
    return p.argmax(1), p.max(1)


def samples_in_batches(G, n, latent_dim, labels=None, batch=250):
    """n samples of generator G as a NumPy array (labels: one class per sample, or None)."""
    out = []
    for i in range(0, n, batch):
        lab = None if labels is None else brique.tensor(labels[i:i + batch])
        out.append(sample_generator(G, min(batch, n - i), latent_dim, labels=lab).numpy())
    return np.concatenate(out)


# ---- image figures ----------------------------------------------------------------------------

def image_grid(ax, images, rows, cols, vmin=-1, vmax=1):
    """Tile images (rows*cols, 1, 28, 28) (or (rows*cols, 28, 28)) on a matplotlib axis; the
    default grey range is a tanh generator's [-1, 1], None scales to the data."""
    im = images[:rows * cols].reshape(rows, cols, 28, 28).transpose(0, 2, 1, 3)
    ax.imshow(im.reshape(rows * 28, cols * 28), cmap="gray", vmin=vmin, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])


def image_rows(ctx, rows, filename, caption):
    """A figure with one labelled row of 28x28 images in [0, 1] per (name, images) pair."""
    plt = pyplot()
    n = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 0.9, len(rows) * 0.95))
    for r, (name, imgs) in enumerate(rows):
        for c in range(n):
            axes[r, c].imshow(imgs[c].reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        axes[r, 0].set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
    fig.tight_layout()
    ctx.figure(fig, filename, caption)


# ---- sequences (rnn-memory, sequence-classification, tagging, char-rnn, word2vec) ----------

def one_hot(ids, n):
    """Integer array (...) -> float32 one-hot array (..., n)."""
    return np.eye(n, dtype=np.float32)[ids]


def chrono_init_(rnn, t_max, rng):
    """Chrono initialization (Tallec and Ollivier, 2018) of an LSTM's or GRU's gate biases:
    the forget (LSTM) or update (GRU) gate bias is log U(1, t_max - 1), so that units start
    with memories spread over 1..t_max steps; the LSTM's input gate bias is its opposite. A
    vanilla RNN has no gate and is left as it is."""
    H = rnn.hidden_size
    gates = {"LSTM": (1, 0), "GRU": (1, None)}.get(rnn.mode)
    if gates is None:
        return rnn
    keep, write = gates
    with brique.no_grad():
        for name in rnn._flat_weights_names:
            if not name.startswith("bias_hh"):
                continue
            b = np.log(rng.uniform(1.0, t_max - 1.0, size=H)).astype(np.float32)
            bias_hh, bias_ih = getattr(rnn, name), getattr(rnn, name.replace("_hh", "_ih"))
            bias_hh[keep * H:(keep + 1) * H] = brique.tensor(b)
            bias_ih[keep * H:(keep + 1) * H] = 0.0
            if write is not None:
                bias_hh[write * H:(write + 1) * H] = brique.tensor(-b)
                bias_ih[write * H:(write + 1) * H] = 0.0
    return rnn


def train_steps(model, batches, loss_fn, optimizer, clip=None):
    """One optimizer step per (x, y) pair of NumPy arrays in `batches`, the gradient norm
    clipped to `clip` when given. Returns (losses, gradient norms before clipping) lists."""
    from brique.nn.utils import clip_grad_norm_
    model.train()
    losses, norms = [], []
    for x, y in batches:
        loss = loss_fn(model(brique.tensor(x)), brique.tensor(y))
        optimizer.zero_grad()
        loss.backward()
        norm = clip_grad_norm_(model.parameters(), clip if clip else float("inf"))
        optimizer.step()
        losses.append(float(loss.item()))
        norms.append(float(norm.item() if hasattr(norm, "item") else norm))
    return losses, norms


def predict_classes(model, x, batch_size=500):
    """argmax of the model's outputs over batches of x (NumPy) in eval mode."""
    model.eval()
    with brique.no_grad():
        out = [model(brique.tensor(x[i:i + batch_size])).numpy().argmax(-1)
               for i in range(0, len(x), batch_size)]
    return np.concatenate(out)
# ---- CPU threads --------------------------------------------------------------------------

def one_blas_thread():
    """A context in which BLAS runs on one thread. The sequence models here multiply small
    matrices step after step; on a shared machine OpenBLAS's spinning worker threads then
    cost far more than they give (a seq2seq step measured 0.6 s on one thread, 5-11 s on
    the default two while other processes ran). A no-op without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(1)


# ---- sequence to sequence (seq2seq-attention, transformer) ---------------------------------

def train_seq2seq(model, batches, steps, lr=3e-3, clip=1.0):
    """Teacher-forced cross-entropy (padding ignored), Adam, gradient-norm clipping; `batches`
    yields (source, target) int64 arrays, targets with bos and eos. -> loss per step."""
    opt = brique.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for _ in range(steps):
        src, tgt = next(batches)
        tgt = brique.tensor(tgt)
        out = model(brique.tensor(src), tgt[:, :-1])
        logits = out[0] if isinstance(out, tuple) else out
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1),
                               ignore_index=0)
        opt.zero_grad()
        loss.backward()
        brique.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        losses.append(loss.item())
    return losses


def decode_all(model, sources, vocab, out_len, beam_width=1, batch_size=250):
    """Decoded strings for every source string (greedy, or beam search if beam_width > 1);
    sources are sorted by length into batches, as in training."""
    model.eval()
    order = np.argsort([len(s) for s in sources], kind="stable")
    decoded = [None] * len(sources)
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        src = brique.tensor(vocab.encode([sources[j] for j in idx]))
        if beam_width > 1:
            tokens = model.beam_search(src, out_len, beam_width)
        else:
            tokens = model.greedy(src, out_len)[0]
        for j, row in zip(idx, tokens.numpy()):
            decoded[j] = vocab.decode(row)
    return decoded


def accuracy_by_length(sources, correct, edges):
    """Exact-match rate of the inputs whose length falls in each [edges[k], edges[k+1])."""
    lengths = np.array([len(s) for s in sources])
    correct = np.asarray(correct, dtype=float)
    return [float(correct[(lengths >= lo) & (lengths < hi)].mean())
            if ((lengths >= lo) & (lengths < hi)).any() else float("nan")
            for lo, hi in zip(edges[:-1], edges[1:])]


def date_task(ctx, chars_per_date=None):
    """(training pairs, held-out pairs, vocabulary) of dates inside distractor text, at the
    run's size: 20,000 / 1,000 pairs of up to 150 characters (quick: 2,000 / 200, 45); one
    date per sentence, or one per `chars_per_date` characters (dates.date_pairs)."""
    from brique.datasets import dates
    max_len = ctx.size(150, 45)
    train, test = (dates.date_pairs(n, seed=seed, max_len=max_len, chars_per_date=chars_per_date)
                   for n, seed in ((ctx.size(20000, 2000), ctx.seed),
                                   (ctx.size(1000, 200), ctx.seed + 1000)))
    return train, test, dates.date_vocab()
