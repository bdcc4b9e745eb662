"""Writes docs/api.md: for each PyTorch namespace a course or a training script touches, which of
its public names brique has and which it lacks, with the share covered.

    python docs/api_map.py            # rewrites docs/api.md (needs torch installed)
    python docs/api_map.py --check    # exits 1 when a name of COMMON is missing from brique

PyTorch's public names are its `__all__` where it declares one, else its `dir()` without
private names; Tensor's are the public attributes of `torch.Tensor`. A name counts as present
when brique has an attribute of that name at the same place (an optional part that needs an
extra counts: it is there once installed).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # this checkout's brique, not an installed one

NAMESPACES = [  # (PyTorch's, brique's)
    ("torch", "brique"),
    ("torch.nn", "brique.nn"),
    ("torch.nn.functional", "brique.nn.functional"),
    ("torch.optim", "brique.optim"),
    ("torch.optim.lr_scheduler", "brique.optim.lr_scheduler"),
    ("torch.utils.data", "brique.utils.data"),
    ("torch.Tensor", "brique.Tensor"),
]

# What course code and the usual training scripts call: brique must have every one of these
# (the test checks it). The rest of each namespace is listed for information.
COMMON = {
    "torch": """tensor as_tensor from_numpy zeros ones full empty arange linspace eye rand randn
        randint randperm zeros_like ones_like rand_like randn_like full_like manual_seed
        no_grad enable_grad set_grad_enabled inference_mode is_tensor cat stack split chunk
        reshape flatten squeeze unsqueeze transpose permute where clamp matmul mm bmm einsum
        sum mean max min argmax argmin exp log sqrt abs sigmoid tanh relu softmax
        log_softmax topk sort allclose equal isnan isfinite save load device float32 float64
        int64 long float double bool Tensor nn optim utils autograd cuda from_dlpack
        get_default_dtype set_default_dtype numel norm std var cumsum outer dot
        meshgrid tril triu diag logsumexp""",
    "torch.nn": """Module Sequential ModuleList ModuleDict Parameter Linear Conv1d Conv2d
        ConvTranspose2d MaxPool2d AvgPool2d AdaptiveAvgPool2d BatchNorm1d BatchNorm2d
        LayerNorm GroupNorm Dropout Dropout2d Embedding RNN LSTM GRU LSTMCell GRUCell
        MultiheadAttention ReLU LeakyReLU ELU GELU SiLU Sigmoid Tanh Softmax LogSoftmax
        Flatten Unflatten Identity MSELoss L1Loss CrossEntropyLoss NLLLoss BCELoss
        BCEWithLogitsLoss KLDivLoss SmoothL1Loss HuberLoss Upsample PixelShuffle init
        functional utils PReLU ReLU6 Softplus Hardtanh Transformer TransformerEncoder
        TransformerEncoderLayer ZeroPad2d""",
    "torch.nn.functional": """relu leaky_relu elu gelu silu sigmoid tanh softmax log_softmax
        dropout dropout2d linear conv1d conv2d conv_transpose2d max_pool2d avg_pool2d
        adaptive_avg_pool2d batch_norm layer_norm group_norm embedding one_hot pad
        interpolate mse_loss l1_loss cross_entropy nll_loss binary_cross_entropy
        binary_cross_entropy_with_logits kl_div smooth_l1_loss huber_loss cosine_similarity
        normalize scaled_dot_product_attention softplus hardtanh relu6 unfold""",
    "torch.optim": """Optimizer SGD Adam AdamW RMSprop Adagrad Adadelta NAdam RAdam Adamax
        ASGD Rprop LBFGS SparseAdam lr_scheduler""",
    "torch.optim.lr_scheduler": """StepLR MultiStepLR ExponentialLR CosineAnnealingLR
        ReduceLROnPlateau LambdaLR OneCycleLR CyclicLR LinearLR SequentialLR
        CosineAnnealingWarmRestarts""",
    "torch.utils.data": """Dataset DataLoader TensorDataset Subset random_split
        ConcatDataset Sampler RandomSampler SequentialSampler BatchSampler
        SubsetRandomSampler WeightedRandomSampler IterableDataset default_collate""",
    "torch.Tensor": """backward grad requires_grad requires_grad_ detach item numpy tolist
        shape size dim ndim numel dtype device to cpu cuda float double long int bool view
        view_as reshape permute transpose t contiguous squeeze unsqueeze flatten expand
        repeat sum mean max min argmax std var norm abs exp log sqrt pow clamp matmul mm
        eq ne gt lt ge le zero_ fill_ copy_ add_ mul_ sub_ div_ clone data is_leaf
        grad_fn type_as masked_fill index_select gather scatter_ topk sort softmax
        log_softmax relu sigmoid tanh chunk split unbind any all new_zeros new_ones
        new_tensor new_full uniform_ normal_ element_size""",
}


SUBMODULES = {"nn", "optim", "utils", "autograd", "cuda", "init", "functional", "data",
              "onnx", "serialization", "lr_scheduler"}


def _imported_helper(obj):
    """typing aliases and flags that a module imports for itself (Optional, TYPE_CHECKING)."""
    return (getattr(obj, "__module__", "") or "").startswith(("typing", "collections.abc")) \
        or isinstance(obj, bool)


def public_names(module_name):
    """PyTorch's public names at `module_name` (a module, or torch.Tensor)."""
    if module_name == "torch.Tensor":
        import torch
        return sorted(n for n in dir(torch.Tensor) if not n.startswith("_"))
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:  # no __all__: its public attributes, submodules only where PyTorch code
        names = [n for n in dir(module)  # reaches them as attributes (torch.nn.init)
                 if (type(getattr(module, n)).__name__ != "module" or n in SUBMODULES)
                 and not _imported_helper(getattr(module, n))]
    return sorted({n for n in names if not n.startswith("_")})


def resolve(dotted):
    if dotted == "brique.Tensor":
        import brique
        return brique.Tensor
    return importlib.import_module(dotted)


def has(obj, name):
    try:
        getattr(obj, name)
    except AttributeError:
        return False
    except ImportError:  # an optional part whose extra is not installed: it exists
        return True
    return True


def common(namespace):
    return COMMON[namespace].split()


def survey():
    """[(namespace, brique namespace, names, present)]"""
    rows = []
    for theirs, ours in NAMESPACES:
        names = public_names(theirs)
        target = resolve(ours)
        rows.append((theirs, ours, names, {n for n in names if has(target, n)}))
    return rows


def missing_common():
    return [f"{ours}.{n}" for theirs, ours in NAMESPACES for n in common(theirs)
            if not has(resolve(ours), n)]


def render(rows, torch_version):
    out = ["# brique's coverage of PyTorch's API", "",
           f"Generated by `python docs/api_map.py` against torch {torch_version}: for each "
           "namespace, PyTorch's public names (its `__all__`, else `dir()`; Tensor: the public "
           "attributes of `torch.Tensor`) and whether brique has each at the same place. "
           "**Common** marks the names course code and typical training scripts call "
           "(`COMMON` in the script); brique has all of them, and a test keeps it so.", "",
           "| namespace | brique has | of | share | common names covered |",
           "|---|---:|---:|---:|---:|"]
    for theirs, ours, names, present in rows:
        wanted = common(theirs)
        got = sum(has(resolve(ours), n) for n in wanted)
        out.append(f"| `{theirs}` | {len(present)} | {len(names)} | "
                   f"{100 * len(present) / len(names):.0f}% | {got}/{len(wanted)} |")
    for theirs, ours, names, present in rows:
        wanted = set(common(theirs))
        out += ["", f"## `{theirs}` -> `{ours}`", "",
                f"{len(present)} of {len(names)} names ({100 * len(present) / len(names):.0f}%).",
                "", "**Has:** " + ", ".join(f"`{n}`" for n in names if n in present), "",
                "**Lacks:** " + (", ".join(f"`{n}`" for n in names if n not in present)
                                 or "nothing")]
        extra = sorted(wanted - set(names))
        if extra:
            out += ["", "Common names PyTorch declares elsewhere (all present in brique): "
                    + ", ".join(f"`{n}`" for n in extra)]
    return "\n".join(out) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "api.md"))
    parser.add_argument("--check", action="store_true",
                        help="only check that brique has every COMMON name")
    args = parser.parse_args(argv)
    missing = missing_common()
    if args.check:
        print("missing:", " ".join(missing) if missing else "none")
        return 1 if missing else 0
    import torch
    with open(args.out, "w") as f:
        f.write(render(survey(), torch.__version__.split("+")[0]))
    print(f"wrote {args.out}" + (f"; missing common names: {' '.join(missing)}" if missing
                                 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
