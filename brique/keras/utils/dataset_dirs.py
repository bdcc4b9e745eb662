"""keras.utils.image_dataset_from_directory and text_dataset_from_directory (also
keras.preprocessing's in Keras 2): a directory of class subdirectories as a BatchDataset of
(images or strings, labels) batches, indexed, shuffled and split as Keras 3 does, so a seed
picks the same files for training and validation as in Keras."""
from __future__ import annotations

import os

import numpy as np

from .batch_dataset import BatchDataset, eager

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
# Keras's resize (TensorFlow's: half-pixel centres, no antialiasing) for these three; the
# others have no such kernel in brique and go through PIL's nearest filter (with its
# antialiasing), so their values are close to TensorFlow's, not equal
_PIL_FILTERS = {"area": "BOX", "lanczos3": "LANCZOS", "lanczos5": "LANCZOS",
                "gaussian": "HAMMING", "mitchellcubic": "BICUBIC"}
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic") + tuple(_PIL_FILTERS)
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def _check_args(what, labels, label_mode, class_names, validation_split, subset, shuffle,
                seed, batch_size):
    """Keras's checks of the arguments both functions share, with their messages."""
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(f"{what}: `labels` must be 'inferred', None or a list/tuple of "
                         f"integer labels, one per file; got labels={labels!r}")
    if labels not in ("inferred", None) and class_names:
        raise ValueError(f"{what}: you can only pass `class_names` if labels='inferred'; got "
                         f"class_names={class_names!r}")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f"{what}: `label_mode` must be one of 'int', 'categorical', "
                         f"'binary' or None; got label_mode={label_mode!r}")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer))
                                   or isinstance(batch_size, bool) or batch_size < 1):
        raise ValueError(f"{what}: `batch_size` must be a positive int or None; got "
                         f"{batch_size!r}")
    if validation_split is not None and not (isinstance(validation_split, (float, int))
                                             and 0 <= validation_split < 1):
        raise ValueError(f"{what}: `validation_split` must be a float between 0 and 1; got "
                         f"{validation_split!r}")
    if bool(validation_split) != bool(subset):
        raise ValueError(f"{what}: if `subset` is set, `validation_split` must be set, and "
                         f"inversely; got validation_split={validation_split!r}, "
                         f"subset={subset!r}")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f"{what}: `subset` must be 'training', 'validation' or 'both'; got "
                         f"subset={subset!r}")
    if validation_split and shuffle and seed is None:
        raise ValueError(f"{what}: with `validation_split` and shuffle=True, give a `seed` so "
                         "that the training and validation subsets do not overlap")


def _walk(directory, follow_links, formats):
    """(root, file name) of the files with an allowed extension under `directory`, in
    Keras's order: directories sorted by path, their files sorted by name."""
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield root, name


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True, what="index_directory"):
    """(file_paths, labels (int32 array, or None), class_names) of the files in `directory`,
    as Keras's dataset_utils.index_directory lists them: class subdirectories sorted (or in
    `class_names` order), then the whole list shuffled with np.random.RandomState(seed)."""
    if not os.path.isdir(directory):
        if os.path.exists(directory):
            raise NotADirectoryError(f"{what}: {directory!r} is not a directory")
        raise FileNotFoundError(f"{what}: directory {directory!r} does not exist")
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            if not set(class_names) <= set(subdirs):
                raise ValueError(f"{what}: `class_names` must name subdirectories of "
                                 f"{directory!r}; expected some of {subdirs}, got "
                                 f"{list(class_names)}")
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError(f"{what}: `class_names` can only be given with "
                             f"labels='inferred'; got labels={labels!r}")
        subdirs = [""]  # explicit or no labels: every file under the directory
    paths, found = [], []
    for index, subdir in enumerate(subdirs):
        top = os.path.join(directory, subdir)
        for root, name in _walk(top, follow_links, formats):
            relative = os.path.join(subdir, os.path.relpath(os.path.join(root, name), top))
            paths.append(os.path.join(directory, relative))
            found.append(index)
    if labels == "inferred":
        labels = np.asarray(found, dtype="int32")
        names = subdirs
    elif labels is None:
        names = None
    else:
        if len(labels) != len(paths):
            raise ValueError(f"{what}: `labels` has {len(labels)} entries but {len(paths)} "
                             f"files were found in {directory!r}; give one label per file, in "
                             "the sorted order of their paths")
        labels = np.array(labels)
        if labels.dtype.kind not in "iu":
            raise ValueError(f"{what}: `labels` must be integers, got dtype {labels.dtype}")
        names = [str(label) for label in sorted(set(labels.tolist()))]
    if verbose:
        print(f"Found {len(paths)} files." if labels is None else
              f"Found {len(paths)} files belonging to {len(names)} classes.")
    if shuffle:  # Keras draws the same permutation twice, one generator each
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, names


def split(paths, labels, validation_split, subset, verbose, what):
    """The training (the first part) or validation (the last int(split * n) files) part, as
    Keras's get_training_or_validation_split."""
    if not validation_split:
        return paths, labels
    n_val = int(validation_split * len(paths))
    if n_val == 0 or n_val == len(paths):
        raise ValueError(f"{what}: validation_split={validation_split} of {len(paths)} files "
                         f"leaves {n_val} files for validation and {len(paths) - n_val} for "
                         "training; both need at least one")
    keep = slice(None, -n_val) if subset == "training" else slice(-n_val, None)
    if verbose:
        count = len(paths) - n_val if subset == "training" else n_val
        print(f"Using {count} files for {subset}.")
    return paths[keep], None if labels is None else labels[keep]


def _label(label, label_mode, num_classes):
    if label_mode == "binary":
        return np.asarray([label], dtype="float32")
    if label_mode == "categorical":  # an out-of-range label is all zeros, as tf.one_hot
        return (np.arange(num_classes) == label).astype("float32")
    return np.asarray(label, dtype="int32")


def _dataset(paths, labels, label_mode, num_classes, load, batch_size, shuffle, seed,
             class_names):
    """The BatchDataset of (load(path), label) samples, reshuffled each epoch when shuffle
    (as Keras's tf.data shuffle), batched by batch_size (None: single samples)."""
    rng = np.random.default_rng(seed) if shuffle else None

    def make():
        order = rng.permutation(len(paths)) if rng is not None else range(len(paths))
        for i in order:
            x = eager(load(paths[i]))
            yield x if label_mode is None else \
                (x, eager(_label(labels[i], label_mode, num_classes)))
    ds = BatchDataset(make, len(paths), class_names=class_names, file_paths=list(paths))
    return ds if batch_size is None else ds.batch(batch_size)


def _from_directory(what, directory, labels, label_mode, class_names, batch_size, shuffle,
                    seed, validation_split, subset, follow_links, verbose, formats, load):
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    _check_args(what, labels, label_mode, class_names, validation_split, subset, shuffle,
                seed, batch_size)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    seed = np.random.randint(1e6) if seed is None else seed
    paths, labels, class_names = index_directory(
        os.fspath(directory), labels, formats, class_names, shuffle, seed, follow_links,
        verbose, what)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"{what}: label_mode='binary' needs exactly 2 classes; got "
                         f"class_names={class_names}")
    num_classes = len(class_names) if class_names else 0
    if not paths:
        raise ValueError(f"{what}: no files found in directory {os.fspath(directory)!r}; "
                         f"allowed formats: {formats}")
    parts = []
    for part in (("training", "validation") if subset == "both" else (subset,)):
        part_paths, part_labels = split(paths, labels, validation_split, part, verbose, what)
        # Keras shuffles the validation part of subset='both' no more
        parts.append(_dataset(part_paths, part_labels, label_mode, num_classes, load,
                              batch_size, shuffle and not (subset == "both" and
                                                           part == "validation"),
                              seed, class_names))
    return parts if subset == "both" else parts[0]


def _resized(x, size, interpolation, crop, pad):
    """An (H, W, C) float32 image cropped or padded to the aspect ratio of size, then
    resized to it, as Keras's Resizing layer."""
    from ..layers.image_preprocessing import aspect_crop, resize
    (h, w), (th, tw) = x.shape[:2], size
    if crop:
        top, left, ch, cw = aspect_crop(h, w, th, tw)
        x = x[top:top + ch, left:left + cw]
    elif pad:  # the same number of rows (columns) of zeros on both sides, as Keras
        top = int((max(h, int(w * th / tw)) - h) / 2)
        left = int((max(w, int(h * tw / th)) - w) / 2)
        x = np.pad(x, ((top, top), (left, left), (0, 0)))
    if x.shape[:2] == tuple(size):
        return x
    if interpolation in _PIL_FILTERS:
        from PIL import Image
        method = getattr(Image, _PIL_FILTERS[interpolation])
        return np.stack([np.asarray(Image.fromarray(x[:, :, c]).resize((tw, th), method))
                         for c in range(x.shape[2])], axis=-1)
    from ...tensor import Tensor
    return resize(Tensor._make(np.ascontiguousarray(x[None])), size, interpolation).numpy()[0]


def _image_loader(channels, size, interpolation, crop, pad, channels_first):
    def load(path):
        from .images import _pil
        with _pil().open(path) as img:  # a GIF gives its first frame, as Keras
            mode = {1: "L", 3: "RGB", 4: "RGBA"}[channels]
            x = np.asarray(img if img.mode == mode else img.convert(mode), dtype="float32")
        x = _resized(x[:, :, None] if x.ndim == 2 else x, size, interpolation, crop, pad)
        return x.transpose(2, 0, 1) if channels_first else x
    return load


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """A BatchDataset (not a tf.data.Dataset: see batch_dataset.py) of (images, labels)
    batches from the .jpeg/.jpg/.png/.bmp/.gif files of `directory`, one subdirectory per
    class (labels='inferred', classes sorted or in `class_names` order), or labels given as
    a list (one per file, in sorted path order), or None (images only). subset='both'
    returns [training, validation]. Attributes: class_names, file_paths.

    Shape: images float32 (batch, *image_size, channels) (channels_first: (batch,
    channels, *image_size)), channels 1/3/4 for color_mode 'grayscale'/'rgb'/'rgba';
    labels int32 (batch,) for 'int', float32 (batch, classes) for 'categorical', float32
    (batch, 1) for 'binary'."""
    what = "image_dataset_from_directory"
    if color_mode not in _CHANNELS:
        raise ValueError(f"{what}: `color_mode` must be 'rgb', 'rgba' or 'grayscale'; got "
                         f"color_mode={color_mode!r}")
    if isinstance(image_size, (int, np.integer)):
        image_size = (image_size, image_size)
    if not (isinstance(image_size, (list, tuple)) and len(image_size) == 2 and all(
            isinstance(v, (int, np.integer)) and v > 0 for v in image_size)):
        raise ValueError(f"{what}: `image_size` must be a tuple of 2 positive ints (height, "
                         f"width); got image_size={image_size!r}")
    interpolation = interpolation.lower() if isinstance(interpolation, str) else interpolation
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{what}: `interpolation` must be one of {_INTERPOLATIONS}; got "
                         f"interpolation={interpolation!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{what}: only one of `pad_to_aspect_ratio` and "
                         "`crop_to_aspect_ratio` can be True")
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"{what}: `data_format` must be 'channels_last' or "
                         f"'channels_first'; got data_format={data_format!r}")
    if format not in ("tf", "grain"):
        raise ValueError(f"{what}: `format` must be 'tf' or 'grain'; got format={format!r}")
    load = _image_loader(_CHANNELS[color_mode], tuple(int(v) for v in image_size),
                         interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio,
                         data_format == "channels_first")
    return _from_directory(what, directory, labels, label_mode, class_names, batch_size,
                           shuffle, seed, validation_split, subset, follow_links, verbose,
                           IMAGE_FORMATS, load)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """A BatchDataset (not a tf.data.Dataset) of (texts, labels) batches from the .txt files
    of `directory`, labelled as image_dataset_from_directory's; each text is the file's
    UTF-8 content, cut to its first `max_length` bytes when given.

    Shape: texts a NumPy str array (batch,); labels as image_dataset_from_directory's."""
    what = "text_dataset_from_directory"
    if max_length is not None and (not isinstance(max_length, (int, np.integer))
                                   or max_length < 1):
        raise ValueError(f"{what}: `max_length` must be a positive int or None; got "
                         f"{max_length!r}")
    if format not in ("tf", "grain"):
        raise ValueError(f"{what}: `format` must be 'tf' or 'grain'; got format={format!r}")

    def load(path):
        with open(path, "rb") as f:
            raw = f.read() if max_length is None else f.read(max_length)
        # a character cut by max_length (or bytes that are not UTF-8) is dropped
        return np.asarray(raw.decode("utf-8", errors="ignore"))
    return _from_directory(what, directory, labels, label_mode, class_names, batch_size,
                           shuffle, seed, validation_split, subset, follow_links, verbose,
                           (".txt",), load)
