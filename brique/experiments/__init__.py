"""The course experiments: `brique experiment list`, `brique experiment run NAME [--quick]`.

Each module of this package defines one Experiment subclass decorated with @register; the
registry is filled by importing every module here, so adding an experiment is adding a file.
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import Context, Experiment, pyplot, run_experiment  # noqa: F401

REGISTRY = {}


def register(cls):
    """Class decorator: make an Experiment subclass runnable by its name."""
    if not cls.name or not cls.claim:
        raise ValueError(f"{cls.__name__} needs a name and a one-line claim")
    if cls.name in REGISTRY:
        raise ValueError(f"two experiments are named {cls.name!r}")
    REGISTRY[cls.name] = cls
    return cls


def _discover():
    for info in pkgutil.iter_modules(__path__):
        if info.name != "base" and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def names():
    _discover()
    return sorted(REGISTRY)


def get(name):
    _discover()
    if name not in REGISTRY:
        raise KeyError(f"unknown experiment {name!r}; see `brique experiment list`")
    return REGISTRY[name]()


def run(name, quick=False, seed=0, device="cpu", out="runs/experiments"):
    """Run experiment `name`, write its report into OUT/NAME/, return its metrics dict."""
    return run_experiment(get(name), quick=quick, seed=seed, device=device, out=out)
