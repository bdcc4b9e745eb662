"""brique.keras: the Keras API on brique's modules and fit loop, so that Keras listings run
with their imports changed:

    from brique.keras.layers import Input, Dense, Conv2D, MaxPooling2D, UpSampling2D
    from brique.keras.models import Model
    from brique.keras import backend as K
    from brique.keras.datasets import mnist

Keras 2's defaults (the courses' listings are Keras 2); see docs/keras.md.
"""
from . import (activations, backend, callbacks, datasets, initializers, layers,  # noqa: F401
               losses, metrics, models, optimizers, saving, utils)
from . import constraints, regularizers  # noqa: F401
from . import ops, preprocessing, random  # noqa: F401
from . import applications  # noqa: F401
from .layers import Input  # noqa: F401
from .models import Model, Sequential  # noqa: F401
from .saving import load_model, save_model  # noqa: F401

__version__ = "2.2.4-brique"  # the Keras API whose defaults this follows
