"""What every application shares (Keras's `keras.applications.imagenet_utils`): input
preprocessing in Keras's three modes, ImageNet class decoding, and the checks, input and
weight loading that each architecture's builder runs around its layers."""
import json
import os
import warnings

import numpy as np

from .. import backend
from ..engine import InputLayer, Input
from ..layers import GlobalAveragePooling2D, GlobalMaxPooling2D
from ..models import Model
from ..utils import files

CLASS_INDEX = None  # the ImageNet class index, read once per process (as Keras caches it)
CLASS_INDEX_PATH = ("https://storage.googleapis.com/download.tensorflow.org/"
                    "data/imagenet_class_index.json")
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"

# mode -> (scale before, per-channel mean, per-channel std), in RGB order ('caffe' flips to BGR)
_MODES = {"tf": None, "torch": (255.0, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
          "caffe": (1.0, (103.939, 116.779, 123.68), None)}


def preprocess_input(x, data_format=None, mode="caffe"):
    """A batch of RGB images (0..255) as a network expects them: 'caffe' flips RGB to BGR and
    subtracts ImageNet's mean pixel; 'tf' scales to -1..1; 'torch' scales to 0..1 and
    normalises each channel by ImageNet's mean and std. Accepts a NumPy array (a float one
    is changed in place, as in Keras) or a tensor (a new tensor is returned)."""
    if mode not in _MODES:
        raise ValueError(f"preprocess_input: mode should be 'caffe', 'tf' or 'torch'; "
                         f"received mode={mode!r}")
    data_format = data_format or backend.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("preprocess_input: data_format should be 'channels_first' or "
                         f"'channels_last'; received data_format={data_format!r}")
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(backend.floatx())
        return _preprocess(x, data_format, mode, np)
    if hasattr(x, "shape") and hasattr(x, "flip"):  # a brique tensor: no in-place change
        return _preprocess(x.float() if not x.is_floating_point() else x, data_format, mode,
                           None)
    try:
        x = np.asarray(x, dtype=backend.floatx())
    except (TypeError, ValueError):
        raise ValueError("preprocess_input expects images: a NumPy array, a tensor or nested "
                         f"lists of numbers; received {type(x).__name__}") from None
    return preprocess_input(x, data_format, mode)


def _preprocess(x, data_format, mode, xp):
    channel_axis = (0 if x.ndim == 3 else 1) if data_format == "channels_first" else x.ndim - 1
    if x.shape[channel_axis] != 3 and mode != "tf":
        raise ValueError(f"preprocess_input: mode={mode!r} expects 3 (RGB) channels on axis "
                         f"{channel_axis}; got an array of shape {tuple(x.shape)}")
    if mode == "tf":
        if xp is np:
            x /= 127.5
            x -= 1.0
            return x
        return x / 127.5 - 1.0
    scale, mean, std = _MODES[mode]
    if mode == "caffe":  # RGB -> BGR, and the mean is given in BGR order
        x = x[(slice(None),) * channel_axis + (slice(None, None, -1),)] if xp is np \
            else x.flip(channel_axis)
    shape = [1] * x.ndim
    shape[channel_axis] = 3
    mean = np.asarray(mean, dtype=np.float64).reshape(shape) * scale
    std = None if std is None else np.asarray(std, dtype=np.float64).reshape(shape) * scale
    if xp is np:  # Keras's in-place arithmetic on the caller's float array
        x -= mean.astype(x.dtype)
        if std is not None:
            x /= std.astype(x.dtype)
        return x
    from ..engine import to_tensor
    x = x - to_tensor(mean.astype(np.float32))
    return x if std is None else x / to_tensor(std.astype(np.float32))


def decode_predictions(preds, top=5):
    """For each row of ImageNet scores (shape (samples, 1000)), the `top` classes as
    (class_name, class_description, score), best first. The class index is downloaded once
    (through get_file, cached under ~/.keras/models)."""
    global CLASS_INDEX
    preds = _numpy(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("decode_predictions expects a batch of ImageNet predictions (a 2-D "
                         f"array of shape (samples, 1000)); got shape {preds.shape}")
    if CLASS_INDEX is None:
        path = files.get_file("imagenet_class_index.json", CLASS_INDEX_PATH,
                              cache_subdir="models", file_hash=CLASS_INDEX_HASH)
        with open(path) as f:
            CLASS_INDEX = json.load(f)
    results = []
    for pred in preds:
        best = pred.argsort()[-top:][::-1]
        results.append([tuple(CLASS_INDEX[str(i)]) + (pred[i],) for i in best])
    return results


def _numpy(x):
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "numpy"):
        x = x.numpy()
    return np.asarray(x)


def validate_arguments(weights, include_top, classes, pooling, classifier_activation):
    """Keras's checks on the arguments every application takes."""
    if not (weights in ("imagenet", None) or
            (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights))):
        raise ValueError("weights should be None (random initialization), 'imagenet' "
                         "(pre-training on ImageNet) or the path of an existing weights "
                         f"file; received weights={weights!r}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("with weights='imagenet' and include_top=True, classes should be "
                         f"1000; received classes={classes!r}")
    if not isinstance(classes, int) or isinstance(classes, bool) or classes < 1:
        raise ValueError(f"classes should be a positive integer; received {classes!r}")
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"pooling should be None, 'avg' or 'max'; received {pooling!r}")
    if include_top and weights is not None and classifier_activation not in (None, "softmax"):
        raise ValueError("with pretrained weights and include_top=True, "
                         "classifier_activation can only be None or 'softmax'; received "
                         f"{classifier_activation!r}")


def obtain_input_shape(input_shape, default_size, min_size, require_flatten, weights=None):
    """The (rows, cols, channels) input shape an application is built for (Keras's rules:
    the default size when none is given; a fixed shape when a Flatten top or ImageNet
    weights require it; at least `min_size` pixels each way)."""
    if input_shape is not None:
        try:
            input_shape = tuple(None if d is None else int(d) for d in input_shape)
        except (TypeError, ValueError):
            raise ValueError("input_shape should be a tuple of three integers (rows, cols, "
                             f"channels); received {input_shape!r}") from None
        if len(input_shape) != 3:
            raise ValueError("input_shape should be a tuple of three integers (rows, cols, "
                             f"channels); received {input_shape!r}")
        if any(d is not None and d < 1 for d in input_shape):
            raise ValueError(f"input_shape should hold positive sizes; received {input_shape}")
    if weights != "imagenet" and input_shape:
        if input_shape[-1] not in (1, 3):
            warnings.warn(f"This model usually expects 1 or 3 input channels; input_shape "
                          f"{input_shape} has {input_shape[-1]}", stacklevel=3)
        default_shape = (default_size, default_size, input_shape[-1])
    else:
        default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError("with include_top=True and weights='imagenet', input_shape "
                             f"should be {default_shape}; received {input_shape}")
        return default_shape
    if input_shape:
        if input_shape[-1] != 3 and weights == "imagenet":
            raise ValueError("ImageNet weights need 3 input channels; received "
                             f"input_shape={input_shape}")
        if any(d is not None and d < min_size for d in input_shape[:2]):
            raise ValueError(f"the input should be at least {min_size}x{min_size} pixels; "
                             f"received input_shape={input_shape}")
    else:
        input_shape = default_shape if require_flatten else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError("with include_top=True the input shape must be fully known; "
                         f"received input_shape={input_shape}")
    return input_shape


def default_size(shape, sizes, fallback=224):
    """The input size whose ImageNet weights fit `shape` (rows, cols, channels): its rows
    when square and one of `sizes`, else `fallback` (MobileNet's rule; a malformed shape is
    left for obtain_input_shape to reject)."""
    try:
        rows, cols = shape[0], shape[1]
    except (TypeError, IndexError, KeyError):
        return fallback
    return rows if rows == cols and rows in sizes else fallback


def image_input(input_tensor, input_shape):
    """The network's input: a new Input of `input_shape`, or the given Keras tensor."""
    if input_tensor is None:
        return Input(shape=input_shape)
    if not backend.is_keras_tensor(input_tensor):
        raise ValueError("input_tensor should be a Keras tensor (the output of "
                         f"keras.Input(...) or of a layer); received {type(input_tensor)}")
    return input_tensor


def source_inputs(tensor):
    """The Input tensors that `tensor` is computed from (Keras's get_source_inputs)."""
    found, stack, seen = [], [tensor], set()
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if isinstance(t.node.layer, InputLayer):
            found.append(t)
        else:
            stack.extend(reversed(t.node.input_list))
    return found[0] if len(found) == 1 else found


def pooled(x, pooling, names=(None, None)):
    """The optional global pooling of a headless network ('avg' or 'max')."""
    if pooling == "avg":
        return GlobalAveragePooling2D(name=names[0])(x)
    if pooling == "max":
        return GlobalMaxPooling2D(name=names[1])(x)
    return x


def finish(img_input, input_tensor, x, name, weights, weight_file=None):
    """The Model from the input to `x`, with its weights: for 'imagenet' the official file
    `weight_file` = (folder of Keras's bucket, file name, hash or None), downloaded through
    get_file into ~/.keras/models; else the file at the path `weights`."""
    inputs = img_input if input_tensor is None else source_inputs(input_tensor)
    model = Model(inputs, x, name=name)
    if weights == "imagenet":
        folder, fname, file_hash = weight_file
        path = files.get_file(fname, f"{BASE_URL}{folder}/{fname}", cache_subdir="models",
                              file_hash=file_hash)
        model.load_weights(path)
    elif weights is not None:
        model.load_weights(weights)
    return model
