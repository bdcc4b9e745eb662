"""The playground's whole setting as a flat dict, and its URL form (the page's `#hash`).

A teacher shares a setting by sharing the URL: `decode(encode(s)) == s` for every valid state,
and `decode` repairs what a hand-edited URL gets wrong (unknown keys are dropped, numbers are
clamped into range, a bad choice falls back to its default) so a link never breaks the page.
The keys are the page's element ids (`learning-rate`, `batch-size`, ...), lists are
comma-separated, booleans are `true`/`false`.

    decode("dataset=xor&layers=4,2&learning-rate=0.03")["layers"]   # [4, 2]
"""
from __future__ import annotations

import math
from urllib.parse import parse_qsl, quote

from .data import CLASSIFICATION, DATASETS, FEATURES, REGRESSION

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
REGULARIZATIONS = ("none", "l1", "l2")
PROBLEMS = ("classification", "regression")
MAX_LAYERS, MAX_NEURONS = 6, 8
# Controls a teacher may hide (`hide=noise,learning-rate`): the page wraps each in an element
# with `data-control="<name>"`.
HIDEABLE = ("dataset", "problem", "classes", "noise", "train-ratio", "batch-size", "features",
            "layers", "activation", "learning-rate", "regularization", "reg-rate", "regenerate",
            "upload", "presets", "show-test", "discretize")

# key -> (kind, default, bounds or choices); the order is the URL's order.
FIELDS = {
    "dataset": ("choice", "circle", DATASETS + ("custom",)),
    "problem": ("choice", "classification", PROBLEMS),
    "classes": ("int", 2, (2, 5)),
    "noise": ("int", 0, (0, 50)),
    "train-ratio": ("int", 50, (10, 90)),
    "batch-size": ("int", 10, (1, 30)),
    "features": ("set", ["x1", "x2"], tuple(FEATURES)),
    "layers": ("layers", [4, 2], (1, MAX_NEURONS)),
    "activation": ("choice", "tanh", ACTIVATIONS),
    "learning-rate": ("float", 0.03, (1e-5, 10.0)),
    "regularization": ("choice", "none", REGULARIZATIONS),
    "reg-rate": ("float", 0.0, (0.0, 10.0)),
    "seed": ("int", 0, (0, 2**31 - 1)),
    "show-test": ("bool", False, None),
    "discretize": ("bool", False, None),
    "hide": ("set", [], HIDEABLE),
}


def defaults():
    """The TensorFlow Playground's default: circle, x1 and x2, 4 and 2 tanh neurons, lr 0.03."""
    return {k: (list(d) if isinstance(d, list) else d) for k, (_, d, _) in FIELDS.items()}


def _parse(key, text):
    kind, default, spec = FIELDS[key]
    try:
        if kind == "choice":
            return text if text in spec else default
        if kind == "bool":
            return {"true": True, "1": True, "false": False, "0": False}.get(text.lower(), default)
        if kind == "set":
            chosen = {t.strip() for t in text.split(",")}
            return [name for name in spec if name in chosen]  # canonical order, no repeats
        if kind == "layers":
            sizes = [int(t) for t in text.split(",") if t.strip()][:MAX_LAYERS]
            return [min(max(s, spec[0]), spec[1]) for s in sizes]
        value = int(text) if kind == "int" else float(text)
    except ValueError:
        return default
    if kind == "float" and not math.isfinite(value):
        return default
    return min(max(value, spec[0]), spec[1])


def decode(query):
    """A state from a URL query or hash (`#` or `?` in front is allowed), repaired and made
    consistent: a regression dataset implies the regression problem and the other way round."""
    state = defaults()
    for key, text in parse_qsl(query.lstrip("#?"), keep_blank_values=True):
        if key in FIELDS:
            state[key] = _parse(key, text)
    return consistent(state)


def consistent(state):
    """The dataset decides the problem (a custom dataset keeps the one chosen)."""
    if state["dataset"] in REGRESSION:
        state["problem"] = "regression"
    elif state["dataset"] in CLASSIFICATION:
        state["problem"] = "classification"
    return state


def _format(key, value):
    kind = FIELDS[key][0]
    if kind == "bool":
        return "true" if value else "false"
    if kind in ("set", "layers"):
        return ",".join(str(v) for v in value)
    if kind == "float":
        return repr(float(value))  # the shortest text that reads back as the same float
    return str(value)


def encode(state):
    """The URL form of a state, every key in FIELDS' order."""
    return "&".join(f"{k}={quote(_format(k, state[k]), safe=',.-')}" for k in FIELDS)


def schema():
    """What the page needs to build its controls: each key's kind, default and range."""
    return {k: {"kind": kind, "default": d, "spec": list(spec) if spec else None}
            for k, (kind, d, spec) in FIELDS.items()}


# Settings from the course, each with the one line it teaches (the page's *From the course*
# menu). What a query leaves out keeps its default.
PRESETS = [
    {"name": "xor-linear", "title": "XOR, one neuron",
     "query": "dataset=xor&features=x1,x2&layers=",
     "comment": "One neuron draws one straight line and XOR needs two: the loss stays high."},
    {"name": "xor-product", "title": "XOR with x1x2",
     "query": "dataset=xor&features=x1x2&layers=",
     "comment": "Give it the product x1x2 and one neuron is enough: the right feature does "
                "the work."},
    {"name": "xor-hidden", "title": "XOR, one hidden layer",
     "query": "dataset=xor&features=x1,x2&layers=4",
     "comment": "Or let a hidden layer of 4 neurons build the features itself from x1, x2."},
    {"name": "circle-linear", "title": "Circle, one neuron",
     "query": "dataset=circle&features=x1,x2&layers=",
     "comment": "No straight line separates a disc from the ring around it."},
    {"name": "circle-squares", "title": "Circle with x1\u00b2, x2\u00b2",
     "query": "dataset=circle&features=x1sq,x2sq&layers=",
     "comment": "In x1\u00b2 and x2\u00b2 the circle becomes a line: one neuron separates it."},
    {"name": "spiral-shallow", "title": "Spiral, one small layer",
     "query": "dataset=spiral&features=x1,x2&layers=3",
     "comment": "Three neurons cut the plane into a few regions: far too few for two arms "
                "that wind around each other."},
    {"name": "spiral-deep", "title": "Spiral, deep",
     "query": "dataset=spiral&features=x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2&layers=8,8,6"
              "&learning-rate=0.03",
     "comment": "The spiral needs depth: layers build on layers until the boundary winds "
                "with the arms (give it a few hundred epochs)."},
]
