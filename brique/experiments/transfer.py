"""Transfer learning: reuse the lower layers of a trained net on a new task (seed 001
"Transfer Learning", the CS231n table of when to fine-tune; seed 000 "Representations and
transfer", Yosinski et al. 2014: lower layers learn transferable features; COURSE_MAP
section 3, "frozen vs fine-tuned accuracy table").

A small conv net is trained on the mnist-5k digits 0-4 (the source task). Its convolutional
layers are then reused for the digits 5-9 (the target task: a similar data set, new
classes) in three ways: (a) a new net trained from scratch, (b) the pretrained conv layers
frozen (requires_grad_(False)) under a new classifier head, (c) the pretrained conv layers
fine-tuned with a 10x smaller learning rate under a new head. Each is trained with few
target examples (10 per class) and with many (all 2,000 training images of 5-9), and tested
on the 500 test images of 5-9. With few examples the reused features are worth a lot; with
many, training from scratch catches up.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import nn, optim
from brique.train import evaluate, fit
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register
from ._common import mnist_subset

MEAN, STD = 0.1307, 0.3081


class SmallConvNet(nn.Module):
    """features: conv 8@5x5 (pad 2) - ReLU - pool - conv 16@5x5 - ReLU - pool;
    head: 400 - 64 - ReLU - classes.

    Shape: (N, 1, 28, 28) -> (N, num_classes) logits.
    """

    def __init__(self, num_classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 5 * 5, 64), nn.ReLU(),
                                  nn.Linear(64, num_classes))

    def forward(self, x):
        return self.head(self.features(x))


def digit_split(train, digits):
    """Images (N, 1, 28, 28) normalized float32 and labels 0..len(digits)-1 of those digits."""
    x, labels = mnist_subset(train, scale=(MEAN, STD))
    keep = np.isin(labels, digits)
    return x[keep], np.searchsorted(np.asarray(digits), labels[keep]).astype(np.int64)


def train(model, x, y, epochs, batch_size, param_groups, seed):
    loader = DataLoader(TensorDataset(brique.tensor(x), brique.tensor(y)),
                        batch_size=batch_size, shuffle=True, generator=seed)
    fit(model, loader, epochs=epochs, optimizer=optim.Adam(param_groups),
        loss="cross_entropy", verbose=0)
    return model


def accuracy(model, x, y):
    data = [(brique.tensor(x[i:i + 500]), brique.tensor(y[i:i + 500]))
            for i in range(0, len(x), 500)]
    return evaluate(model, data, metrics=["accuracy"])["accuracy"]


def transfer(method, pretrained, lr):
    """A target-task net for `method` ('scratch', 'frozen', 'fine-tune') and its optimizer's
    parameter groups."""
    model = SmallConvNet(num_classes=5)   # a new, randomly initialized head every time
    if method == "scratch":
        return model, [{"params": list(model.parameters()), "lr": lr}]
    model.features.load_state_dict(pretrained.features.state_dict())
    head = {"params": list(model.head.parameters()), "lr": lr}
    if method == "frozen":
        model.features.requires_grad_(False)
        return model, [head]
    return model, [head, {"params": list(model.features.parameters()), "lr": lr / 10}]


METHODS = ("scratch", "frozen", "fine-tune")
LABELS = ("(a) from scratch", "(b) frozen conv features + new head",
          "(c) fine-tuned (features at lr/10) + new head")


def cell(values):
    return f"{np.mean(values):.3f}" + (f" ± {np.std(values):.3f}" if len(values) > 1 else "")


@register
class Transfer(Experiment):
    name = "transfer"
    claim = ("conv features learned on digits 0-4 and reused for digits 5-9 (frozen or "
             "fine-tuned) beat training from scratch by at least 2 points of accuracy with 10 "
             "examples per class; with all 2,000 examples the gap shrinks (scratch catches up)")

    def run(self, ctx):
        cfg = dict(seeds=[ctx.seed + k for k in range(ctx.size(5, 1))], per_class=10,
                   pre_epochs=ctx.size(8, 2), lr=2e-3,
                   regimes={"few": dict(epochs=ctx.size(40, 25), batch_size=10),
                            "many": dict(epochs=ctx.size(4, 2), batch_size=32)},
                   n_many=ctx.size(None, 600))  # quick: a subset of the 2,000 stands for "many"
        source_digits, target_digits = [0, 1, 2, 3, 4], [5, 6, 7, 8, 9]
        data = {"source": digit_split(True, source_digits),
                "source_test": digit_split(False, source_digits),
                "target": digit_split(True, target_digits),
                "target_test": digit_split(False, target_digits)}
        acc, source_acc, n_big = self._train_all(cfg, data)
        mean = {k: float(np.mean(v)) for k, v in acc.items()}
        gap = self._report(ctx, cfg, acc, mean, source_acc, n_big)
        self._figure(ctx, cfg, acc, n_big)
        margin = 0.02
        n_few = 5 * cfg["per_class"]
        held = (min(mean["frozen", "few"], mean["fine-tune", "few"]) > mean["scratch", "few"]
                and gap["few"] >= margin and gap["many"] < gap["few"])
        ctx.verdict(held, f"with {n_few} target images: scratch {mean['scratch', 'few']:.3f}, "
                          f"frozen {mean['frozen', 'few']:.3f}, fine-tuned "
                          f"{mean['fine-tune', 'few']:.3f} (gap {gap['few']:+.3f}, needed >= "
                          f"{margin}); with {n_big}: scratch {mean['scratch', 'many']:.3f}, "
                          f"frozen {mean['frozen', 'many']:.3f}, fine-tuned "
                          f"{mean['fine-tune', 'many']:.3f} (gap {gap['many']:+.3f}, smaller).")

    def _train_all(self, cfg, data):
        """For each seed: the source net, then every method in both regimes. Returns the
        target test accuracies {(method, regime): [per seed]}, the source's, and n_many."""
        (xs, ys), (xs_test, ys_test) = data["source"], data["source_test"]
        (xt, yt), (xt_test, yt_test) = data["target"], data["target_test"]
        lr = cfg["lr"]
        acc = {(m, r): [] for m in METHODS for r in cfg["regimes"]}
        source_acc = []
        for seed in cfg["seeds"]:
            brique.manual_seed(seed)
            rng = np.random.default_rng(seed)
            source = SmallConvNet(5)
            train(source, xs, ys, cfg["pre_epochs"], 32,
                  [{"params": list(source.parameters()), "lr": lr}], seed)
            source_acc.append(accuracy(source, xs_test, ys_test))
            few = np.concatenate([rng.choice(np.flatnonzero(yt == c), cfg["per_class"],
                                             replace=False) for c in range(5)])
            many = rng.permutation(len(yt))[:cfg["n_many"]]
            for regime, idx in (("few", few), ("many", many)):
                for method in METHODS:
                    model, groups = transfer(method, source, lr)
                    train(model, xt[idx], yt[idx], param_groups=groups, seed=seed,
                          **cfg["regimes"][regime])
                    acc[method, regime].append(accuracy(model, xt_test, yt_test))
        return acc, source_acc, len(many)

    def _report(self, ctx, cfg, acc, mean, source_acc, n_big):
        per_class, regimes, lr = cfg["per_class"], cfg["regimes"], cfg["lr"]
        for (method, regime), value in mean.items():
            ctx.metric(f"{regime}_{method}", value)
        ctx.metric("per_seed", {f"{r}_{m}": v for (m, r), v in acc.items()})
        ctx.metric("source_accuracy", float(np.mean(source_acc)))
        n_few = 5 * per_class
        ctx.metric("n_few", n_few), ctx.metric("n_many", n_big)
        ctx.table(["method", f"few: {n_few} images ({per_class} per class)",
                   f"many: {n_big} images"],
                  [[label, cell(acc[m, "few"]), cell(acc[m, "many"])]
                   for m, label in zip(METHODS, LABELS)],
                  caption=f"test accuracy on the 500 mnist-5k test images of digits 5-9, mean "
                          f"(± standard deviation) over {len(cfg['seeds'])} seed(s)")
        gap = {r: (mean["frozen", r] + mean["fine-tune", r]) / 2 - mean["scratch", r]
               for r in regimes}
        ctx.metric("gap_few", gap["few"]), ctx.metric("gap_many", gap["many"])
        ctx.note(f"The source net, trained {cfg['pre_epochs']} epochs on the 2,000 training "
                 f"images of 0-4, reaches {np.mean(source_acc):.3f} on the test digits 0-4. "
                 f"Adam, lr {lr} (the head) and {lr / 10} (fine-tuned conv layers); few: "
                 f"{regimes['few']['epochs']} epochs of batches of 10, many: "
                 f"{regimes['many']['epochs']} epochs of batches of 32. `gap` = mean "
                 f"accuracy of the two ways of reusing the features (frozen, fine-tuned) minus "
                 f"that of training from scratch: {gap['few']:+.3f} with few, "
                 f"{gap['many']:+.3f} with many.")
        best = {r: max(METHODS, key=lambda m: mean[m, r]) for r in regimes}
        ctx.table(["", "very similar dataset (here: digits -> other digits)",
                   "very different dataset"],
                  [["very little data", "course: linear classifier on top layer; measured "
                    f"here: best is {best['few']}", "course: you're in trouble... try "
                    "linear classifiers from different stages"],
                   ["quite a lot of data", "course: fine-tune a few layers; measured here: "
                    f"best is {best['many']}", "course: fine-tune a larger number of layers"]],
                  caption="the courses' table of when to fine-tune (CS231n), with what this "
                          "run measured in the column it covers")
        return gap

    def _figure(self, ctx, cfg, acc, n_big):
        """Mean test accuracy of each method in each regime, every seed as a dot."""
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(7, 3.8))
        regimes = [("few", f"{5 * cfg['per_class']} target images"),
                   ("many", f"{n_big} target images")]
        width = 0.8 / len(METHODS)
        for k, (method, label) in enumerate(zip(METHODS, LABELS)):
            xs = np.arange(len(regimes)) + (k - (len(METHODS) - 1) / 2) * width
            means = [np.mean(acc[method, r]) for r, _ in regimes]
            ax.bar(xs, means, width, label=label, color=f"C{k}", alpha=0.8)
            for x, (r, _) in zip(xs, regimes):
                ax.plot([x] * len(acc[method, r]), acc[method, r], "k.", ms=4)
        ax.set_xticks(range(len(regimes)))
        ax.set_xticklabels([label for _, label in regimes])
        lowest = min(min(v) for v in acc.values())
        ax.set_ylim(max(0.0, lowest - 0.05), 1.0)
        ax.set_ylabel("test accuracy, digits 5-9")
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        ctx.figure(fig, "accuracy.png", "test accuracy on digits 5-9 after training from "
                   "scratch, on frozen features and fine-tuned, with few and with many target "
                   "images (bars: mean over seeds; dots: each seed)")
