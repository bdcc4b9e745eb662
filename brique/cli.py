"""The `brique` command: train, eval, predict, datasets.

    brique train                       # LeNet-5 on mnist-5k, offline, into runs/lenet5-mnist-5k/
    brique train mlp --epochs 10 --optimizer adam --lr 1e-3
    brique eval runs/lenet5-mnist-5k/checkpoint.npz
    brique predict runs/lenet5-mnist-5k/checkpoint.npz digit.png
    brique datasets
    brique experiment list             # the course experiments, each with its claim
    brique experiment run init --quick # runs/experiments/init/report.md, figures, metrics.json
"""
from __future__ import annotations

import argparse
import math
import os
import sys

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta")


class UsageError(Exception):
    """A bad argument or file: one line on stderr, exit status 2."""


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if not value > 0 or (kind is float and not math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        """One line on stderr and exit status 2, instead of the usage block."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    from . import models
    from . import __version__
    parser = _Parser(prog="brique", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"brique {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_Parser)

    _add_train(sub, models)

    exp = sub.add_parser("export", help="write a `brique train` checkpoint as an ONNX model",
                         description="Export a checkpoint written by `brique train` to ONNX "
                                     "(needs the 'onnx' extra). The graph takes raw images in "
                                     "[0, 1], N x C x H x W float32, any batch size, and "
                                     "returns class logits.")
    exp.add_argument("checkpoint")
    exp.add_argument("output", help="the .onnx file to write")
    exp.add_argument("--opset", type=_positive(int), default=None,
                     help="ONNX opset version (default: 17)")
    ev = sub.add_parser("eval", help="evaluate a run (folder or checkpoint) on its test split")
    ev.add_argument("checkpoint", help="a run folder written by `brique train`, or its "
                    "checkpoint.npz")
    ev.add_argument("--device", default="cpu")

    pred = sub.add_parser("predict", help="classify an image file with a checkpoint")
    pred.add_argument("checkpoint")
    pred.add_argument("image", help="a PNG/JPEG image (needs pillow)")

    ds = sub.add_parser("datasets", help="list the datasets; download one into the cache")
    ds_sub = ds.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    ds_sub.add_parser("list", help="every dataset and whether it works offline (default)")
    get = ds_sub.add_parser("download", help="download a dataset into brique's cache")
    get.add_argument("name")

    exp = sub.add_parser("experiment", help="the course experiments: list them, run one")
    exp_sub = exp.add_subparsers(dest="action", metavar="ACTION", required=True,
                                 parser_class=_Parser)
    exp_sub.add_parser("list", help="each experiment with the claim it shows")
    run = exp_sub.add_parser("run", help="run one; writes report.md, figures, metrics.json")
    run.add_argument("name")
    run.add_argument("--quick", action="store_true", help="small data, few epochs: seconds")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--device", default="cpu")
    run.add_argument("--out", default=os.path.join("runs", "experiments"),
                     help="parent folder (default: runs/experiments)")
    _add_playground(sub)
    return parser


def _add_train(sub, models):
    train = sub.add_parser("train", help="train a model and save checkpoint, history and plot",
                           description="Train a model on a dataset; writes checkpoint.npz, "
                                       "history.csv and curves.png into OUT/NAME/.")
    train.add_argument("model", nargs="?", default="lenet5", help=f"one of "
                       f"{', '.join(sorted(models.MODELS))} (default: lenet5)")
    train.add_argument("--dataset", default="mnist-5k", help="see `brique datasets` "
                       "(default: mnist-5k)")
    train.add_argument("--epochs", type=_positive(int), default=20)
    train.add_argument("--batch-size", type=_positive(int), default=None,
                       help="default: 32 with the default recipe, 64 with the plain one")
    train.add_argument("--lr", type=_positive(float), default=None,
                       help="peak learning rate (default: the recipe's)")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd")
    train.add_argument("--recipe", choices=("default", "plain"), default="default",
                       help="default: small random shifts, batches of 32, one-cycle schedule, "
                            "weight decay; "
                            "plain: constant-lr SGD with momentum, no augmentation")
    train.add_argument("--device", default="cpu", help="cpu or cuda")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default="runs", help="parent folder of the run (default: runs)")
    train.add_argument("--name", default=None, help="run folder name (default: MODEL-DATASET)")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.add_argument("--resume", action="store_true",
                       help="continue the run in OUT/NAME from its last complete epoch")
    train.add_argument("--overwrite", action="store_true",
                       help="replace the run already in OUT/NAME")
    train.add_argument("--download", action="store_true",
                       help="download the dataset into brique's cache if it is not there")
    train.add_argument("--nproc", type=_positive(int), default=1,
                       help="train data-parallel in N processes under mpiexec (extra "
                            "'distributed')")
    train.add_argument("--hostfile", default=None,
                       help="with --nproc: MPI hostfile listing the machines (one per line)")


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    from .datasets import DatasetUnavailableError
    from .train.checkpoint import CheckpointError
    from .recipes import RecipeError
    try:
        return {"train": cmd_train, "eval": cmd_eval, "predict": cmd_predict,
                "export": cmd_export, "datasets": cmd_datasets, "experiment": cmd_experiment,
                "playground": cmd_playground}[args.command](args)
    except (UsageError, RecipeError, FileNotFoundError, CheckpointError,
            DatasetUnavailableError) as e:
        print(f"brique {args.command}: error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:  # an optional part whose extra is not installed
        print(f"brique {args.command}: error: {_missing(e)}", file=sys.stderr)
        return 2


# Third-party modules of the optional parts -> the extra that installs them.
_EXTRAS = {"matplotlib": "data", "PIL": "data", "tqdm": "data", "sklearn": "data",
           "numba": "fast", "onnx": "onnx", "onnxruntime": "onnx", "optuna": "search",
           "mpi4py": "distributed", "cupy": "cuda"}


def _missing(error):
    name = (getattr(error, "name", None) or "").split(".")[0]
    if "pip install" in str(error) or name not in _EXTRAS:
        return str(error)
    return f"{error}; install it with: pip install 'brique[{_EXTRAS[name]}]'"


def cmd_datasets(args):
    from . import datasets
    if args.action == "download":
        return _download(args.name)
    rows = datasets.available()
    width = max(len(name) for name, _, _ in rows)
    for name, description, offline in rows:
        print(f"{name:<{width}}  {'offline  ' if offline else 'download '}  {description}")
    return 0


def _download(name):
    from . import datasets
    key = name.lower().replace("_", "-")
    if key not in datasets.names():
        raise UsageError(f"unknown dataset {name!r}; see `brique datasets`")
    rows = {n: offline for n, _, offline in datasets.available()}
    kind = datasets.kind(key)
    if kind != "download":
        raise UsageError(f"{key} is {'generated' if kind != 'embedded' else 'shipped'} "
                         "locally: there is nothing to download")
    for train in (True, False):
        datasets.load(key, train=train, download=True)
    print(f"{key}: {'already in' if rows[key] else 'downloaded into'} {datasets.data_root()}")
    return 0


def _checkpoint(path):
    """A run folder -> its checkpoint; a checkpoint path as it is."""
    if os.path.isdir(path):
        ckpt = os.path.join(path, "checkpoint.npz")
        if not os.path.exists(ckpt):
            raise UsageError(f"{path} is a folder without a checkpoint.npz: is it a run folder "
                             "written by `brique train`?")
        return ckpt
    if not os.path.exists(path):
        raise UsageError(f"no such checkpoint or run folder: {path}")
    return path


def _check_device(device):
    from . import cuda
    if device == "cpu":
        return
    if device != "cuda" and not device.startswith("cuda:"):
        raise UsageError(f"--device must be cpu or cuda, got {device!r}")
    if not cuda.is_available():
        raise UsageError(f"--device {device}: no usable CUDA GPU (CuPy missing or no device); "
                         "on a machine with an NVIDIA GPU, pip install 'brique[cuda]'; "
                         "elsewhere use --device cpu")


def cmd_experiment(args):
    from . import experiments
    if args.action == "list":
        for name in experiments.names():
            print(f"{name:<20}  {experiments.REGISTRY[name].claim}")
        return 0
    if args.name not in experiments.names():
        raise UsageError(f"unknown experiment {args.name!r}; see `brique experiment list`")
    _check_device(args.device)
    metrics = experiments.run(args.name, quick=args.quick, seed=args.seed, device=args.device,
                              out=args.out)
    folder = os.path.join(args.out, args.name)
    print(f"claim held: {'yes' if metrics['claim_held'] else 'no'}; report: "
          f"{os.path.join(folder, 'report.md')}")
    return 0


def cmd_train(args):
    from . import recipes
    if args.nproc > 1 and not _under_mpi():
        return _launch_mpi(args)
    rank = _init_distributed(args.nproc) if args.nproc > 1 else 0
    _check_device(args.device)
    run_dir = os.path.join(args.out, args.name or f"{args.model}-{args.dataset}")
    resume = recipes.check_run_dir(run_dir, args.resume, args.overwrite) if rank == 0 else None
    if args.overwrite and rank == 0 and os.path.isdir(run_dir):
        for name in ("checkpoint.npz", "history.csv", "curves.png"):
            if os.path.exists(os.path.join(run_dir, name)):
                os.remove(os.path.join(run_dir, name))
    try:
        result = recipes.train(args.model, args.dataset, epochs=args.epochs,
                               batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer,
                               recipe=args.recipe, device=args.device, seed=args.seed,
                               run_dir=run_dir, verbose=0 if args.quiet else 1,
                               resume=resume, download=args.download)
    except KeyboardInterrupt:
        if rank == 0:
            _interrupted(run_dir, args.argv)
        return 130
    if rank != 0:
        return 0
    print(f"test accuracy: {result['test_accuracy']:.4f}  (test loss {result['test_loss']:.4f})")
    print(f"wrote {result['checkpoint']}, {result['history']}"
          + (f", {result['plot']}" if result.get("plot") else ""))
    return 0


def _interrupted(run_dir, argv):
    """Ctrl-C: the checkpoint of the last complete epoch stays; say how to go on."""
    from .train.checkpoint import load
    ckpt = os.path.join(run_dir, "checkpoint.npz")
    if not os.path.exists(ckpt):
        print("\nbrique train: interrupted before the first epoch ended; nothing was kept",
              file=sys.stderr)
        return
    done = load(ckpt).get("epoch")
    again = " ".join(["brique"] + [a for a in argv if a != "--overwrite"]
                     + ([] if "--resume" in argv else ["--resume"]))
    print(f"\nbrique train: interrupted; {ckpt} keeps epoch {done}. Continue with:\n  {again}",
          file=sys.stderr)


def cmd_eval(args):
    from . import recipes
    _check_device(args.device)
    model, config = recipes.load_model(_checkpoint(args.checkpoint))
    metrics = recipes.evaluate_on_test(model, config, device=args.device)
    print(f"{config['model']} on {config['dataset']} test split: accuracy "
          f"{metrics['accuracy']:.4f}, loss {metrics['loss']:.4f}")
    return 0


def cmd_export(args):
    from . import recipes
    try:
        from . import onnx
    except ImportError as e:
        raise UsageError(str(e)) from None
    model, config = recipes.load_model(_checkpoint(args.checkpoint))
    wrapped = recipes.with_normalization(model, config)
    example = recipes.example_input(config)
    onnx.export(wrapped, example, args.output, input_names=["image"], output_names=["logits"],
                dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                opset_version=args.opset)
    print(f"wrote {args.output}: image {('batch',) + tuple(example.shape[1:])} float32 in "
          f"[0, 1] -> logits (batch, {config['num_classes']})")
    return 0


def cmd_predict(args):
    from . import recipes
    model, config = recipes.load_model(_checkpoint(args.checkpoint))
    if len(config["input_shape"]) != 3:
        raise UsageError(f"predict reads images, but this {config['model']} was trained on "
                         f"{config['dataset']} (samples of shape {tuple(config['input_shape'])})")
    image = recipes.read_image(args.image, config["input_shape"])
    probs = recipes.predict_probabilities(model, config, image)
    classes = config.get("classes") or [str(i) for i in range(len(probs))]
    best = max(range(len(probs)), key=probs.__getitem__)
    print(f"class: {classes[best]}")
    for name, p in zip(classes, probs):
        print(f"  {name:>12}: {p:.4f}")
    return 0


# ---------------------------------------------------------------------- data-parallel training
_MPI_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")


def _under_mpi():
    return any(v in os.environ for v in _MPI_RANK_VARS)


def _launch_mpi(args):
    """Run this same command in `--nproc` processes under the mpiexec of the installed MPI wheel
    (the one beside this Python first); returns mpiexec's exit status."""
    import shutil
    import subprocess
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    mpiexec = shutil.which("mpiexec", path=path)
    if mpiexec is None:
        raise UsageError("--nproc needs MPI: pip install 'brique[distributed]' (mpi4py and the "
                         "mpich wheel, which brings mpiexec)")
    command = [mpiexec, "-n", str(args.nproc)]
    if args.hostfile:
        if not os.path.isfile(args.hostfile):
            raise UsageError(f"--hostfile {args.hostfile!r} does not exist")
        command += ["-f", args.hostfile]
    command += [sys.executable, "-m", "brique.cli"] + args.argv
    return subprocess.call(command)


def _init_distributed(nproc):
    """Join the MPI job; share this machine's cores between its ranks. Returns the rank."""
    from . import backend, distributed
    try:
        distributed.init_process_group("mpi")
    except ImportError as e:
        raise UsageError(str(e)) from None
    world = distributed.get_world_size()
    if world != nproc:
        raise UsageError(f"--nproc {nproc} but mpiexec started {world} processes")
    local = int(os.environ.get("MPI_LOCALNRANKS", os.environ.get("OMPI_COMM_WORLD_LOCAL_SIZE",
                                                                   world)))
    backend.set_num_threads(max(1, (os.cpu_count() or 1) // local))
    return distributed.get_rank()


def _add_playground(sub):
    play = sub.add_parser("playground", help="a local web page to play with small networks")
    play.add_argument("--port", type=int, default=8000, help="0: any free port (default: 8000)")
    play.add_argument("--host", default="127.0.0.1")
    play.add_argument("--no-browser", action="store_true", help="do not open a browser")


def cmd_playground(args):
    from .playground import serve
    try:
        return serve(args.host, args.port, open_browser=not args.no_browser)
    except OSError as e:
        raise UsageError(f"cannot serve on {args.host}:{args.port}: {e.strerror or e}") from None


if __name__ == "__main__":
    sys.exit(main())
