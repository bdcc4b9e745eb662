"""Autoencoders (course seed 000, "Autoencoders"; seed 004, the Keras conv autoencoder): a
network trained to give back its input through a small intermediate layer, the code.

- `Autoencoder`: the "diabolo" network, Linear layers narrowing to a code and widening back
  (784-h-code-h-784 by default), sigmoid outputs for binary cross-entropy on [0, 1] pixels.
- `DeepAutoencoder`: the same with several layers on each side (Hinton & Salakhutdinov, 2006);
  `code=2` gives a code that can be drawn.
- `ConvAutoencoder`: the seed's Keras listing, layer for layer.
- `DenoisingAutoencoder`: wraps an autoencoder and corrupts its input (Gaussian or masking
  noise) in training mode; trained against the clean input.
- `SparseAutoencoder`: a diabolo network whose `penalty()` is an L1 activity penalty on the
  code or the KL sparsity penalty of Ng's notes (mean activation towards `rho`).
- `AdversarialAutoencoder`: a deep autoencoder plus a discriminator on its code that pushes
  the codes to a prior (N(0, I) or a mixture of 10 Gaussians).

All models keep the input's shape: (N, 784) or (N, 1, 28, 28) in, the same shape out.
"""
from __future__ import annotations

import math

import numpy as np  # the seedable noise generator of DenoisingAutoencoder (CPU)

from .. import backend, creation, nn
from ..ops.movement import stack
from ..tensor import Tensor
from .gan import MLPDiscriminator


def _mlp(sizes, activation, last_activation):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        act = activation if i < len(sizes) - 2 else last_activation
        if act is not None:
            layers.append(act())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """The diabolo autoencoder: encoder in_features -> hidden... -> code, decoder the mirror
    image code -> ...hidden -> in_features, `activation` between layers, `code_activation`
    (None: linear code) on the code and a sigmoid on the output (pixels in [0, 1], trained with
    binary cross-entropy; `out_activation=None` gives linear outputs for MSE).

    `encode(x)` gives the code, `decode(z)` the reconstruction (flat), `forward(x)` both in a
    row and reshapes the output like the input.

    Shape: (N, *) with prod(*) = in_features -> (N, *); encode: (N, *) -> (N, code).
    """

    def __init__(self, in_features=784, hidden=(256,), code=32, activation=nn.ReLU,
                 code_activation=None, out_activation=nn.Sigmoid):
        super().__init__()
        hidden = tuple(hidden)
        self.in_features, self.code_size = in_features, code
        self.encoder = _mlp((in_features,) + hidden + (code,), activation, code_activation)
        self.decoder = _mlp((code,) + hidden[::-1] + (in_features,), activation,
                            out_activation)
        self.reset_parameters()

    def reset_parameters(self):
        """He (Kaiming) normal weights, zero biases: with PyTorch's default Linear init the
        deep stack stays near the mean image for many more epochs."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def encode(self, x):
        if math.prod(x.shape[1:]) != self.in_features:
            raise ValueError(f"{type(self).__name__}: expected inputs of {self.in_features} "
                             f"features per sample, got shape {tuple(x.shape)}")
        return self.encoder(x.reshape(x.shape[0], self.in_features))

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        return self.decode(self.encode(x)).reshape(x.shape)


class DeepAutoencoder(Autoencoder):
    """A deep diabolo (Hinton & Salakhutdinov, 2006): by default 784-512-256-128-code and back.
    `code=2` gives a 2-D code to draw.

    Shape: (N, *) with prod(*) = in_features -> (N, *); encode: (N, *) -> (N, code).
    """

    def __init__(self, in_features=784, hidden=(512, 256, 128), code=32, activation=nn.ReLU,
                 code_activation=None, out_activation=nn.Sigmoid):
        super().__init__(in_features, hidden, code, activation, code_activation,
                         out_activation)


class ConvAutoencoder(nn.Module):
    """The seed's Keras convolutional autoencoder (seed 004), layer for layer by default:

        Conv 16@3x3 same, ReLU, MaxPool 2 (same)   28 -> 14
        Conv  8@3x3 same, ReLU, MaxPool 2 (same)   14 -> 7
        Conv  8@3x3 same, ReLU, MaxPool 2 (same)    7 -> 4     code: 8 x 4 x 4 = 128
        Conv  8@3x3 same, ReLU, Upsample 2          4 -> 8
        Conv  8@3x3 same, ReLU, Upsample 2          8 -> 16
        Conv 16@3x3 valid, ReLU, Upsample 2        16 -> 14 -> 28
        Conv  1@3x3 same, sigmoid                  28

    Keras's 'same' max-pooling of the odd 7x7 map is MaxPool2d(2, ceil_mode=True) (7 -> 4);
    the one 'valid' conv of the decoder (16 -> 14) is what brings the output back to 28x28.
    Trained in the listing with binary cross-entropy and Adadelta (lr 1.0, rho 0.95).
    `widths` (16, 8) and `code_channels` (8) change the layers' widths, e.g. code_channels=2
    for a 2 x 4 x 4 = 32-number code.

    Shape: (N, 1, 28, 28) -> (N, 1, 28, 28); encode: -> (N, code_channels, 4, 4).
    """

    def __init__(self, in_channels=1, widths=(16, 8), code_channels=8):
        super().__init__()
        pool = lambda: nn.MaxPool2d(2, ceil_mode=True)  # noqa: E731  (Keras padding='same')
        a, b = widths
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, a, 3, padding=1), nn.ReLU(), pool(),
            nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), pool(),
            nn.Conv2d(b, code_channels, 3, padding=1), nn.ReLU(), pool())
        self.decoder = nn.Sequential(
            nn.Conv2d(code_channels, b, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
            nn.Conv2d(b, b, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
            nn.Conv2d(b, a, 3), nn.ReLU(), nn.Upsample(scale_factor=2),
            nn.Conv2d(a, in_channels, 3, padding=1), nn.Sigmoid())
        self.code_size = code_channels * 4 * 4

    def encode(self, x):
        if x.ndim != 4 or tuple(x.shape[-2:]) != (28, 28):
            raise ValueError("ConvAutoencoder: expected input of shape (N, C, 28, 28), got "
                             f"{tuple(x.shape)}")
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        return self.decode(self.encode(x))


def corrupt(x, noise="gaussian", level=0.3, generator=None):
    """A corrupted copy of x (a Tensor of pixels in [0, 1]), without gradient, on x's device:
    'gaussian': x + level * N(0, 1) clipped to [0, 1]; 'masking': each pixel set to 0 with
    probability `level`. `generator` (a numpy Generator or a seed) draws the noise for CPU
    tensors; GPU tensors draw from brique's CUDA generator (seeded by brique.manual_seed).

    Shape: any -> same.
    """
    if noise not in ("gaussian", "masking"):
        raise ValueError(f"corrupt: noise must be 'gaussian' or 'masking', got {noise!r}")
    x = x if isinstance(x, Tensor) else Tensor(x, dtype=None)
    arr = x.detach()._data
    xp = backend.get_array_module(arr)
    dtype = arr.dtype if arr.dtype.kind == "f" else backend.float32
    if x.device.type == "cpu":
        rng = generator if isinstance(generator, np.random.Generator) else \
            np.random.default_rng(generator)
    else:
        rng = backend.rng(x.device)
    if noise == "gaussian":
        out = xp.clip(arr + level * rng.standard_normal(arr.shape).astype(dtype), 0, 1)
    else:
        out = arr * (rng.random(arr.shape) >= level)
    return Tensor._make(out.astype(dtype))


class DenoisingAutoencoder(nn.Module):
    """Wraps an autoencoder: in training mode the input is corrupted (`corrupt(x, noise,
    level)`) before it goes through; the loss is taken against the clean input, so the
    network learns to remove the noise. In eval mode the input goes through as given (feed it
    noisy images to denoise them).

    Shape: that of the wrapped autoencoder.
    """

    def __init__(self, autoencoder, noise="gaussian", level=0.3, generator=None):
        super().__init__()
        if noise not in ("gaussian", "masking"):
            raise ValueError(f"DenoisingAutoencoder: noise must be 'gaussian' or 'masking', "
                             f"got {noise!r}")
        self.autoencoder, self.noise, self.level = autoencoder, noise, float(level)
        self._rng = np.random.default_rng(generator)

    def forward(self, x):
        if self.training and self.level > 0:
            x = corrupt(x, self.noise, self.level, self._rng)
        return self.autoencoder(x)


class SparseAutoencoder(Autoencoder):
    """A diabolo autoencoder with a sparsity penalty on its code, to add to the loss:
    `loss = F.binary_cross_entropy(model(x), x) + model.penalty()`.

    sparsity='l1': ReLU code, penalty = weight * mean over the batch of sum |code| (Keras's
    activity_regularizer=l1, per sample). sparsity='kl': sigmoid code, penalty = weight *
    sum_j KL(rho || rho_hat_j), rho_hat_j the batch mean of unit j (Ng's sparse autoencoder).
    weight=0 gives the plain autoencoder with the same architecture. The code of the last
    forward pass is kept in `self.last_code`.

    Shape: (N, *) with prod(*) = in_features -> (N, *); encode: (N, *) -> (N, code).
    """

    def __init__(self, in_features=784, hidden=(), code=64, sparsity="l1", weight=1e-3,
                 rho=0.05, activation=nn.ReLU):
        if sparsity not in ("l1", "kl"):
            raise ValueError(f"SparseAutoencoder: sparsity must be 'l1' or 'kl', got "
                             f"{sparsity!r}")
        super().__init__(in_features, hidden, code, activation,
                         nn.ReLU if sparsity == "l1" else nn.Sigmoid)
        self.sparsity, self.weight, self.rho = sparsity, float(weight), float(rho)
        self.last_code = None

    def encode(self, x):
        self.last_code = super().encode(x)
        return self.last_code

    def penalty(self, code=None):
        """The sparsity penalty of `code` (default: the last forward pass's code)."""
        z = self.last_code if code is None else code
        if z is None:
            raise RuntimeError("SparseAutoencoder.penalty: run a forward pass first")
        if self.sparsity == "l1":
            return nn.activity_l1(z, self.weight / z.shape[0])
        rho, eps = self.rho, 1e-6
        rho_hat = z.mean(dim=0).clamp(eps, 1 - eps)
        kl = rho * (rho / rho_hat).log() + (1 - rho) * ((1 - rho) / (1 - rho_hat)).log()
        return kl.sum() * self.weight


class AdversarialAutoencoder(nn.Module):
    """An adversarial autoencoder (Makhzani et al., 2015): a deep autoencoder whose code is
    judged by `discriminator` (an MLP on the code) against samples of a prior, so that
    training (brique.train.train_adversarial_autoencoder) pushes the codes to the prior and
    the decoder turns prior samples into data.

    prior='gaussian': N(0, I); prior='mixture' (2-D codes only): an equal mixture of 10
    Gaussians of std 0.5 centred on a circle of radius 3.

    Shape: (N, *) with prod(*) = in_features -> (N, *); encode: -> (N, code);
    sample_prior(n): -> (n, code).
    """

    def __init__(self, in_features=784, hidden=(256, 128), code=2, prior="gaussian",
                 d_hidden=(64, 64)):
        super().__init__()
        if prior not in ("gaussian", "mixture"):
            raise ValueError(f"AdversarialAutoencoder: prior must be 'gaussian' or 'mixture', "
                             f"got {prior!r}")
        if prior == "mixture" and code != 2:
            raise ValueError(f"AdversarialAutoencoder: the 'mixture' prior is 2-D, got "
                             f"code={code}")
        self.prior, self.code_size = prior, code
        self.autoencoder = DeepAutoencoder(in_features, hidden, code)
        self.discriminator = MLPDiscriminator(d_hidden, in_features=code)

    def encode(self, x):
        return self.autoencoder.encode(x)

    def decode(self, z):
        return self.autoencoder.decode(z)

    def forward(self, x):
        return self.autoencoder(x)

    def sample_prior(self, n, device=None):
        """n codes drawn from the prior (brique's generator: seeded by manual_seed)."""
        z = creation.randn(n, self.code_size, device=device)
        if self.prior == "gaussian":
            return z
        k = creation.randint(0, 10, (n,), device=device).float() * (2 * math.pi / 10)
        centres = stack([k.cos(), k.sin()], dim=1) * 3.0
        return centres + 0.5 * z
