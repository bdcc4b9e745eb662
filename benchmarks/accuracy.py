"""What `brique train` reaches on mnist-5k (4,000 train / 1,000 test), and the plain recipe
against the same recipe in PyTorch on the same split: test accuracy after 20 epochs, per seed.

    python benchmarks/accuracy.py                     # all runs (about 15 minutes on 2 cores)
    python benchmarks/accuracy.py --runs plain-torch --seeds 0 1 2
"""
from __future__ import annotations

import argparse
import statistics

import torch

from brique import datasets
from brique import recipes
from common import write_section


def torch_plain(seed, epochs):
    """LeNet-5, SGD lr 0.01 momentum 0.9, batch 64, normalized pixels: PyTorch's version of
    brique's plain recipe on the same split."""
    torch.manual_seed(seed)
    train, test = datasets.MNIST5k(train=True), datasets.MNIST5k(train=False)
    x = torch.tensor(train.images, dtype=torch.float32)[:, None] / 255
    mean, std = x.mean().item(), x.std().item()
    x = (x - mean) / std
    xt = (torch.tensor(test.images, dtype=torch.float32)[:, None] / 255 - mean) / std
    y, yt = torch.tensor(train.labels), torch.tensor(test.labels)
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=64,
                                         shuffle=True)
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
    with torch.no_grad():
        return (model(xt).argmax(1) == yt).float().mean().item()


RUNS = {
    "default-lenet5": lambda seed, epochs: recipes.train(
        "lenet5", epochs=epochs, seed=seed, verbose=0)["test_accuracy"],
    "default-mlp": lambda seed, epochs: recipes.train(
        "mlp", epochs=epochs, seed=seed, verbose=0)["test_accuracy"],
    "plain-brique": lambda seed, epochs: recipes.train(
        "lenet5", epochs=epochs, seed=seed, recipe="plain", verbose=0)["test_accuracy"],
    "plain-torch": torch_plain,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    lines = [f"Command: `python benchmarks/accuracy.py --runs {' '.join(args.runs)}`", "",
             f"Test accuracy on mnist-5k's 1,000 test images after {args.epochs} epochs.", "",
             "| run | " + " | ".join(f"seed {s}" for s in args.seeds) + " | mean |",
             "|---|" + "---|" * (len(args.seeds) + 1)]
    for name in args.runs:
        accs = [RUNS[name](s, args.epochs) for s in args.seeds]
        cells = " | ".join(f"{a:.2%}" for a in accs)
        lines.append(f"| {name} | {cells} | {statistics.mean(accs):.2%} |")
        print(lines[-1], flush=True)
    write_section("accuracy", lines)


if __name__ == "__main__":
    main()
