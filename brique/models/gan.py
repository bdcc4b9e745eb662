"""Generators and discriminators for GANs on 28x28 digits (Goodfellow et al., 2014; DCGAN,
Radford et al., 2016; conditional GAN, Mirza & Osindero, 2014).

A generator maps a latent code z ~ N(0, I) to an image in [-1, 1] (tanh output); a
discriminator maps an image to one logit (real vs generated; the loss applies the sigmoid).
The conditional versions take the class label too: the generator gets a learned label
embedding concatenated to z, the discriminator gets the label as extra constant input
channels (one-hot planes) or an extra input vector (MLP).

DCGAN's guidelines: strided convolutions instead of pooling, transposed convolutions to
upsample, batch normalization in both players (not on the generator's output layer nor on
the discriminator's input layer), ReLU in the generator with tanh output, LeakyReLU(0.2) in
the discriminator; train with Adam(lr=2e-4, betas=(0.5, 0.999)) and N(0, 0.02) weights
(`dcgan_init`).
"""
from __future__ import annotations

from .. import nn
from ..ops.movement import cat
from ..nn import functional as F


def dcgan_init(module):
    """DCGAN's initialization: conv weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02).
    Use as `model.apply(dcgan_init)`."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class MLPGenerator(nn.Module):
    """z -> hidden (LeakyReLU 0.2) -> ... -> 784 (tanh) -> image.

    Shape: (N, latent_dim) -> (N, 1, 28, 28) in [-1, 1]; with `num_classes`, forward(z, y)
    takes labels y of shape (N,) (int64).
    """

    def __init__(self, latent_dim=64, hidden=(256, 512), image_size=28, num_classes=0):
        super().__init__()
        self.latent_dim, self.image_size, self.num_classes = latent_dim, image_size, num_classes
        self.embed = nn.Embedding(num_classes, num_classes) if num_classes else None
        layers, width = [], latent_dim + num_classes
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers += [nn.Linear(width, image_size * image_size), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z, y=None):
        if self.embed is not None:
            z = cat([z, self.embed(y)], dim=1)
        return self.net(z).reshape(z.shape[0], 1, self.image_size, self.image_size)


class MLPDiscriminator(nn.Module):
    """image (or any flat sample) -> hidden (LeakyReLU 0.2) -> ... -> 1 logit.
    `in_features` (default image_size**2) lets it judge other samples, e.g. the codes of an
    adversarial autoencoder.

    Shape: (N, 1, 28, 28) (or (N, in_features)) -> (N, 1); with `num_classes`, forward(x, y)
    also takes labels (N,).
    """

    def __init__(self, hidden=(512, 256), image_size=28, num_classes=0, in_features=None):
        super().__init__()
        self.num_classes = num_classes
        in_features = image_size * image_size if in_features is None else in_features
        layers, width = [], in_features + num_classes
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x, y=None):
        x = x.reshape(x.shape[0], -1)
        if self.num_classes:
            x = cat([x, F.one_hot(y, self.num_classes).float()], dim=1)
        return self.net(x)


class DCGANGenerator(nn.Module):
    """z -> Linear -> (2w, 7, 7) -> ConvT 4x4/2 -> (w, 14, 14) -> ConvT 4x4/2 -> (1, 28, 28),
    BatchNorm and ReLU between, tanh output.

    Shape: (N, latent_dim) -> (N, 1, 28, 28) in [-1, 1]; with `num_classes`, forward(z, y)
    takes labels y (N,) whose learned embedding (size `embed_dim`) is appended to z.
    """

    def __init__(self, latent_dim=64, width=64, num_classes=0, embed_dim=16):
        super().__init__()
        self.latent_dim, self.width, self.num_classes = latent_dim, width, num_classes
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        in_dim = latent_dim + (embed_dim if num_classes else 0)
        self.project = nn.Sequential(nn.Linear(in_dim, 2 * width * 7 * 7, bias=False),
                                     nn.BatchNorm1d(2 * width * 7 * 7), nn.ReLU())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Tanh())
        self.apply(dcgan_init)

    def forward(self, z, y=None):
        if self.embed is not None:
            z = cat([z, self.embed(y)], dim=1)
        h = self.project(z).reshape(z.shape[0], 2 * self.width, 7, 7)
        return self.net(h)


class DCGANDiscriminator(nn.Module):
    """(1, 28, 28) -> Conv 4x4/2 -> (w, 14, 14) LeakyReLU -> Conv 4x4/2 -> (2w, 7, 7)
    BatchNorm LeakyReLU -> Linear -> 1 logit.

    Shape: (N, 1, 28, 28) -> (N, 1); with `num_classes`, forward(x, y) takes labels (N,),
    given as one-hot constant planes stacked onto the image channels.
    """

    def __init__(self, width=64, num_classes=0):
        super().__init__()
        self.num_classes = num_classes
        self.net = nn.Sequential(
            nn.Conv2d(1 + num_classes, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * 7 * 7, 1))
        self.apply(dcgan_init)

    def forward(self, x, y=None):
        if self.num_classes:
            n, _, h, w = x.shape
            planes = F.one_hot(y, self.num_classes).float().reshape(n, self.num_classes, 1, 1)
            x = cat([x, planes.expand(n, self.num_classes, h, w)], dim=1)
        return self.net(x)
