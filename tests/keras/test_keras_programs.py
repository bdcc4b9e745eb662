"""Keras programs as keras.io and the Keras guides write them (tests/keras/programs/), each run
with `keras` bound to brique.keras and to Keras 3: both must run, and what does not depend on
random draws (parameter counts, history keys, output names) must agree. Keras 3's string
layers need TensorFlow, so text.py runs on brique alone and must learn its task."""
import pathlib
import sys

import numpy as np
import pytest

import brique.keras
import keras as keras3

PROGRAMS = sorted((pathlib.Path(__file__).parent / "programs").glob("*.py"))
NEEDS_TENSORFLOW = {"text.py"}


def run(path, keras):
    saved = sys.modules.get("keras")
    sys.modules["keras"] = keras  # `import keras` inside the program
    keras.utils.set_random_seed(0)  # the programs' draws (weights, shuffles) repeat
    try:
        namespace = {"keras": keras, "np": np, "__name__": "__program__"}
        exec(compile(path.read_text(), str(path), "exec"), namespace)
        return namespace["RESULT"]
    finally:
        sys.modules["keras"] = saved


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_program_runs_as_with_keras(path):
    ours = run(path, brique.keras)
    if path.name in NEEDS_TENSORFLOW:
        assert ours == 1.0
        return
    assert ours == run(path, keras3)
