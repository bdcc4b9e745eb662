"""Image classification sets: MNIST, Fashion-MNIST, CIFAR-10 (torchvision's names).

A sample is `(image, label)`: the image a uint8 NumPy array, (28, 28) or (32, 32, 3) in HWC
order, passed through `transform` if given (e.g. `transforms.ToTensor()` gives a float32
(C, H, W) Tensor in [0, 1]); the label an int, through `target_transform` if given.
"""
from __future__ import annotations

import os

import numpy as np

from ..tensor import Tensor
from ..utils.data.dataset import Dataset
from . import download as dl
from .formats import read_cifar_bin, read_cifar_tar, read_idx


class ImageDataset(Dataset):
    """Images (N, H, W) or (N, H, W, C) and integer labels (N,) held in memory.

    `.data` and `.targets` are Tensors sharing that memory, as in torchvision. With the
    default collate, a DataLoader takes whole batches at once when the transform has a batch
    form (every brique transform does, but Lambda) and there is no target_transform.
    """

    classes: list = []

    def __init__(self, images, labels, transform=None, target_transform=None, classes=None):
        images, labels = np.asarray(images), np.asarray(labels, dtype=np.int64)
        if images.ndim not in (3, 4) or len(images) != len(labels):
            raise ValueError(f"{type(self).__name__}: expected images (N, H, W[, C]) and labels "
                             f"(N,), got {images.shape} and {labels.shape}")
        self.images, self.labels = images, labels
        self.transform, self.target_transform = transform, target_transform
        if classes is not None:
            self.classes = list(classes)

    data = property(lambda self: Tensor._make(self.images))
    targets = property(lambda self: Tensor._make(self.labels))

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        image, label = self.images[index], int(self.labels[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def _batch_fetcher(self):
        t = self.transform
        if self.target_transform is not None or (
                t is not None and not getattr(t, "batchable", hasattr(t, "batch"))):
            return None

        def fetch(indices):
            images = self.images[indices]
            return [t.batch(images) if t is not None else Tensor._make(images),
                    Tensor._make(self.labels[indices])]
        return fetch

    def __repr__(self):
        return (f"{type(self).__name__}({len(self)} images of shape {self.images.shape[1:]}, "
                f"{len(np.unique(self.labels))} classes)")


class MNIST(ImageDataset):
    """The MNIST handwritten digits: 60,000 train / 10,000 test images, 28x28 uint8.

    Files are looked up in `root` (or $BRIQUE_DATA, or ~/.cache/brique), subfolder `mnist/`,
    and downloaded there when missing and `download` is true.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/"]
    subdir, title = "mnist", "MNIST"
    # SHA-256 of the original files (the sums TensorFlow Datasets and others check).
    resources = {
        "train-images-idx3-ubyte.gz":
            "sha256:440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "sha256:3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "sha256:8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "sha256:f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }
    classes = [str(d) for d in range(10)]

    def __init__(self, root=None, train=True, download=True, transform=None,
                 target_transform=None, progress=True):
        prefix = "train" if train else "t10k"
        names = [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"]
        files = {n: self.resources[n] for n in names}
        paths = dl.find_or_download(self.title, files, self.mirrors, self.subdir, root, download,
                                    progress, alternatives={n: (n[:-3],) for n in names})
        images, labels = read_idx(paths[names[0]]), read_idx(paths[names[1]])
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"{self.title}: unexpected file shapes {images.shape} and "
                             f"{labels.shape}")
        self.train = train
        super().__init__(images, labels, transform, target_transform)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format and sizes, 10 kinds of clothing."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    subdir, title = "fashion-mnist", "Fashion-MNIST"
    # MD5 of each file as torchvision's source lists them.
    resources = {
        "train-images-idx3-ubyte.gz": "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "md5:25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "md5:bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "md5:bb300cfdad3c16e7a12a480ee83cd310",
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class CIFAR10(ImageDataset):
    """CIFAR-10: 50,000 train / 10,000 test colour images, 32x32x3 uint8 (HWC), 10 classes.

    Uses the binary version, cifar-10-binary.tar.gz (never the pickled one): read straight
    from the archive, or from its extracted `cifar-10-batches-bin/` folder if present.
    """

    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    subdir, title = "cifar10", "CIFAR-10"
    archive = "cifar-10-binary.tar.gz"
    folder = "cifar-10-batches-bin"
    # MD5 published on https://www.cs.toronto.edu/~kriz/cifar.html for the binary version.
    resources = {archive: "md5:c32a1d4ab5d03f1284b67883e8d87530"}
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]

    def __init__(self, root=None, train=True, download=True, transform=None,
                 target_transform=None, progress=True):
        members = ([f"data_batch_{i}.bin" for i in range(1, 6)] if train
                   else ["test_batch.bin"])
        path = dl.find_or_download(self.title, self.resources, self.mirrors, self.subdir, root,
                                   download, progress,
                                   alternatives={self.archive: (self.folder,)})[self.archive]
        if os.path.isdir(path):
            parts = [read_cifar_bin(os.path.join(path, m)) for m in members]
            images = np.concatenate([p[0] for p in parts])
            labels = np.concatenate([p[1] for p in parts])
        else:
            images, labels = read_cifar_tar(path, members)
        self.train = train
        super().__init__(images, labels, transform, target_transform)
