"""The training recipes behind `brique train`, `eval` and `predict`: dataset -> model ->
fit() -> run folder (checkpoint.npz, history.csv, curves.png), and back from a checkpoint.

The default recipe is what it takes to get LeNet-5 past 97.5% on mnist-5k in 20 epochs:
random shifts of up to 2 pixels, batches of 32, SGD with Nesterov momentum and weight decay,
and a one-cycle learning-rate schedule. `recipe="plain"` is constant-lr SGD with momentum on the
raw images, the baseline the course starts from.

Under `mpiexec` (`brique train --nproc N`, a process group initialised) the same recipe trains
data-parallel: the model is wrapped in DistributedDataParallel, each rank reads its share of
every epoch through a DistributedSampler with batches of `batch_size` (N * batch_size images per
step), and rank 0 alone writes the run folder.
"""
from __future__ import annotations

import math
import os

from . import backend, creation, datasets, models, nn, optim
from .autograd import no_grad
from .distributed.group import rank_and_world_size
from .train.callbacks import Callback, CSVLogger, History, LearningRateScheduler
from .train.checkpoint import load, load_checkpoint, save_checkpoint
from .train.loop import evaluate, fit
from .utils.data import DataLoader
from .utils.data.transforms import Compose, Normalize, RandomShift

DEFAULT_LR = {"sgd": 0.05, "adam": 2e-3, "adamw": 2e-3, "rmsprop": 1e-3, "adagrad": 0.05,
              "adadelta": 1.0}


class RecipeError(ValueError):
    pass


def _is_image_set(ds):
    return hasattr(ds, "images")


def build_model(name, input_shape, num_classes):
    if name not in models.MODELS:
        raise RecipeError(f"unknown model {name!r}; expected one of {sorted(models.MODELS)}")
    if name == "mlp":
        return models.MLP(math.prod(input_shape), (256,), num_classes)
    if len(input_shape) != 3:
        raise RecipeError(f"{name} needs images (C, H, W); this dataset has samples of shape "
                          f"{tuple(input_shape)}: use `mlp`")
    c, h, w = input_shape
    if h != w or h < 12:
        raise RecipeError(f"{name} needs square images of at least 12x12, got {h}x{w}")
    return models.LeNet5(num_classes, in_channels=c, image_size=h)


def _data(dataset, recipe, download=False):
    """(train set, test set, config) with the recipe's transforms."""
    if dataset.lower().replace("_", "-") not in datasets.names():
        raise RecipeError(f"unknown dataset {dataset!r}; see `brique datasets`")
    train = datasets.load(dataset, train=True, download=download)
    test = datasets.load(dataset, train=False, download=download)
    config = {"dataset": dataset, "normalize": None}
    if _is_image_set(train):
        base = train.transform  # ToTensor with the set's pixel scale
        pixels = base.batch(train.images)._data
        mean, std = float(pixels.mean()), float(pixels.std())
        norm = Normalize(mean, std)
        augment = [RandomShift(2)] if recipe == "default" else []
        train.transform = Compose([base] + augment + [norm])
        test.transform = Compose([base, norm])
        config.update(normalize=[mean, std], input_shape=list(pixels.shape[1:]),
                      num_classes=int(train.labels.max()) + 1,
                      classes=[str(c) for c in getattr(train, "classes", [])] or None)
    else:
        x, y = train.tensors
        config.update(input_shape=list(x.shape[1:]), num_classes=int(y.max().item()) + 1,
                      classes=None)
    return train, test, config


def check_run_dir(run_dir, resume=False, overwrite=False):
    """The checkpoint to resume from (or None), after refusing to replace a run silently."""
    ckpt = os.path.join(run_dir, CHECKPOINT)
    if resume and overwrite:
        raise RecipeError("--resume and --overwrite exclude each other")
    if resume:
        if not os.path.exists(ckpt):
            raise RecipeError(f"--resume: {ckpt} does not exist; start the run without --resume")
        return ckpt
    if os.path.isdir(run_dir) and os.listdir(run_dir) and not overwrite:
        raise RecipeError(f"{run_dir} already holds a run: pass --resume to continue it or "
                          "--overwrite to replace it (or --name for another folder)")
    return None


def train(model_name="lenet5", dataset="mnist-5k", *, epochs=20, batch_size=None, lr=None,
          optimizer="sgd", recipe="default", device="cpu", seed=0, run_dir=None, verbose=1,
          resume=None, callbacks=(), download=False):
    """Train, evaluate on the test split, write the run folder; returns a dict of results.
    batch_size defaults to 32 for the default recipe (it beat 64 on mnist-5k over 3 seeds;
    docs/benchmarks.md has the current accuracies) and 64 for the plain one.

    With a run folder the checkpoint is written after every epoch (atomically), so an
    interrupted run keeps its last complete epoch; `resume` (that checkpoint's path) continues it
    bit-identically: weights, optimizer, schedule, data order and random state."""
    backend.manual_seed(seed)
    batch_size = batch_size or (32 if recipe == "default" else 64)
    train_set, test_set, config = _data(dataset, recipe, download)
    model = build_model(model_name, config["input_shape"], config["num_classes"])
    config.update(model=model_name, recipe=recipe, seed=seed, epochs=epochs,
                  batch_size=batch_size, optimizer=optimizer, lr=lr)
    if device != "cpu":
        model.to(device)
    lr = lr or (0.01 if recipe == "plain" and optimizer == "sgd" else DEFAULT_LR[optimizer])
    opt = _optimizer(optimizer, model.parameters(), lr, recipe)
    rank, world = rank_and_world_size()
    if world > 1:
        from .nn.parallel import DistributedDataParallel
        from .utils.data.distributed import DistributedSampler
        net = DistributedDataParallel(model)
        sampler = DistributedSampler(train_set, shuffle=True, seed=seed)
        train_loader = DataLoader(train_set, batch_size=batch_size, sampler=sampler,
                                  num_workers=1)
        run_dir = run_dir if rank == 0 else None
    else:
        net = model
        train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True,
                                  num_workers=1, generator=seed)
    test_loader = DataLoader(test_set, batch_size=500)
    callbacks, schedule = list(callbacks), None
    if recipe == "default":
        schedule = optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
                                                 steps_per_epoch=len(train_loader))
        callbacks.append(LearningRateScheduler(schedule, interval="batch"))
    start, past = 0, {}
    if resume is not None:
        start, past = _resume(resume, config, model, opt, schedule, train_loader)
    run = _Run(run_dir, model, opt, schedule, train_loader, config, past)
    if run_dir is not None:
        os.makedirs(run_dir, exist_ok=True)
        callbacks += [CSVLogger(run.path("history.csv"), append=start > 0), run]
    dev = device if device != "cpu" else None
    history = fit(net, train_loader, test_loader, epochs=epochs, initial_epoch=start,
                  optimizer=opt, loss="cross_entropy", metrics=["accuracy"],
                  callbacks=callbacks, device=dev, verbose=verbose)
    final = evaluate(model, test_loader, "cross_entropy", ["accuracy"], device=dev)
    result = {"test_accuracy": final["accuracy"], "test_loss": final["loss"], "model": model,
              "config": config, "history_object": history,
              "history": run.path("history.csv"), "checkpoint": run.path(CHECKPOINT)}
    if run_dir is not None:
        run.save(len(past.get("epoch", [])) + len(history.epoch), history, test=final)
        result["plot"] = run.plot(history)
    return result


CHECKPOINT = "checkpoint.npz"


def _resume(path, config, model, opt, schedule, loader):
    """Load a run's checkpoint into the freshly built objects; returns (epochs done, history)."""
    ckpt = load_checkpoint(path, model, opt)
    saved = ckpt.get("config") or {}
    for key in ("model", "dataset", "recipe", "seed", "batch_size", "optimizer", "lr"):
        if key in saved and saved[key] != config[key]:
            raise RecipeError(f"--resume: the run was started with {key}={saved[key]!r}, not "
                              f"{config[key]!r}; keep the run's settings")
    done = int(ckpt.get("epoch") or 0)
    if done >= config["epochs"]:
        raise RecipeError(f"--resume: the run already has {done} epochs; ask for more with "
                          f"--epochs (more than {done})")
    if schedule is not None and ckpt.get("scheduler"):
        schedule.load_state_dict(ckpt["scheduler"])
    if ckpt.get("data_rng") and loader.generator is not None:
        loader.generator.set_state(ckpt["data_rng"])
    return done, ckpt.get("history") or {}


class _Run(Callback):
    """The run folder: the checkpoint after every epoch (atomic), the history, the plot."""
    rank_zero_only = True

    def __init__(self, run_dir, model, opt, schedule, loader, config, past):
        self.run_dir, self.model, self.opt, self.schedule = run_dir, model, opt, schedule
        self.loader, self.config, self.past = loader, config, past

    def path(self, name):
        return None if self.run_dir is None else os.path.join(self.run_dir, name)

    def on_epoch_end(self, epoch, logs=None):
        self.save(epoch + 1, self.state.history)

    def _merged(self, history):
        merged = {"epoch": list(self.past.get("epoch", [])) + list(history.epoch)}
        for k in set(self.past.get("history", {})) | set(history.history):
            merged.setdefault("history", {})[k] = (list(self.past.get("history", {}).get(k, []))
                                                   + list(history.history.get(k, [])))
        return merged

    def save(self, epochs_done, history, **extra):
        generator = self.loader.generator
        save_checkpoint(self.path(CHECKPOINT), self.model, self.opt, epoch=epochs_done,
                        config=self.config, history=self._merged(history),
                        scheduler=None if self.schedule is None else self.schedule.state_dict(),
                        data_rng=None if generator is None else generator.get_state(), **extra)

    def plot(self, history):
        merged = self._merged(history)
        full = History()
        full.epoch, full.history = merged["epoch"], merged.get("history", {})
        try:
            full.plot(self.path("curves.png"), metrics=["loss", "accuracy"])
        except ImportError:
            return None
        return self.path("curves.png")


def _optimizer(name, params, lr, recipe):
    if name == "sgd":
        if recipe == "plain":
            return optim.SGD(params, lr=lr, momentum=0.9)
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    cls = {"adam": optim.Adam, "adamw": optim.AdamW, "rmsprop": optim.RMSprop,
           "adagrad": optim.Adagrad, "adadelta": optim.Adadelta}[name]
    return cls(params, lr=lr)


def load_model(path):
    """(model, config) rebuilt from a checkpoint written by `train`."""
    ckpt = load(path)
    config = ckpt.get("config") if isinstance(ckpt, dict) else None
    if not config or "model" not in ckpt:
        raise RecipeError(f"{path} is a brique checkpoint but not one written by "
                          "`brique train` (no model config in it)")
    model = build_model(config["model"], config["input_shape"], config["num_classes"])
    model.load_state_dict(ckpt["model"])
    return model.eval(), config


class _Normalized(nn.Module):
    """The model behind the normalization it was trained with: takes raw pixels in [0, 1]."""

    def __init__(self, model, mean, std):
        super().__init__()
        self.model, self.mean, self.std = model, float(mean), float(std)

    def forward(self, x):
        return self.model((x - self.mean) / self.std)


def with_normalization(model, config):
    """`model` taking raw inputs (the recipe's normalization folded in front of it)."""
    if not config.get("normalize"):
        return model
    return _Normalized(model, *config["normalize"])


def example_input(config):
    """A batch of one zero input of the shape the model was trained on."""
    return creation.zeros(1, *config["input_shape"])


def evaluate_on_test(model, config, device="cpu"):
    _, test_set, _ = _data(config["dataset"], "plain")
    if config["normalize"] is not None:  # use the statistics the model was trained with
        test_set.transform.transforms[-1] = Normalize(*config["normalize"])
    if device != "cpu":
        model.to(device)
    return evaluate(model, DataLoader(test_set, batch_size=500), "cross_entropy",
                    ["accuracy"], device=device if device != "cpu" else None)


def predict_probabilities(model, config, image):
    """Class probabilities for one (C, H, W) float image in [0, 1]."""
    from .tensor import Tensor
    x = backend.numpy.asarray(image, dtype="float32")
    if config["normalize"] is not None:
        mean, std = config["normalize"]
        x = (x - mean) / std
    with no_grad():
        logits = model.eval()(Tensor._make(x[None]))
    return logits.softmax(1)[0].tolist()


def read_image(path, input_shape):
    """An image file as float32 in [0, 1] with the model's (C, H, W): grayscale or RGB,
    resized; a light-background image is inverted to match MNIST's white-on-black."""
    if not os.path.isfile(path):
        raise RecipeError(f"no such image file: {path}")
    try:
        from PIL import Image
    except ImportError:
        raise RecipeError("reading images needs pillow: pip install 'brique[data]'") from None
    channels, height, width = input_shape
    try:
        img = Image.open(path)
        img.load()
    except (OSError, SyntaxError, ValueError) as e:
        raise RecipeError(f"cannot read {path} as an image (PNG, JPEG, ...): {e}") from None
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        # Transparent pixels have no colour of their own: lay the image on white, as a viewer
        # shows it (the dark-on-light test below then inverts it like any scanned digit).
        back = Image.new("RGBA", img.size, "white")
        back.alpha_composite(img.convert("RGBA"))
        img = back
    img = img.convert("L" if channels == 1 else "RGB")
    img = img.resize((width, height), Image.BILINEAR)
    arr = backend.numpy.asarray(img, dtype="float32") / 255.0
    arr = arr[None] if channels == 1 else arr.transpose(2, 0, 1)
    if channels == 1 and arr.mean() > 0.5:
        arr = 1.0 - arr
    return arr
