"""Two-player training: a discriminator and a generator, updated in turn.

Goodfellow et al.'s minimax criterion, min_G max_D E[log D(x)] + E[log(1 - D(G(z)))], is
trained by alternating one step of each player, each with its own optimizer
(`adversarial_step`, the one place the game is written):

- discriminator: minimize BCE(D(real), 1) + BCE(D(G(source)), 0), with G's output detached;
- generator: the non-saturating loss BCE(D(G(source)), 1) = -log D(G(source)), which has the
  same fixed point as minimizing log(1 - D(G(z))) but strong gradients while D wins easily.

D outputs logits; the losses go through F.binary_cross_entropy_with_logits (stable).

For a GAN (`train_adversarial`) the source is noise z ~ N(0, I) and the real samples are data;
for an adversarial autoencoder (`train_adversarial_autoencoder`) the generator is the encoder,
its source a data batch, and the real samples are drawn from the prior on the code.

    history = train_adversarial(G, D, loader, epochs=20, latent_dim=64,
                                g_optimizer=optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999)),
                                d_optimizer=optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999)))
"""
from __future__ import annotations

from .. import creation
from ..autograd import no_grad
from ..nn import functional as F
from ..tensor import Tensor

_STATS = ("d_loss", "g_loss", "d_real", "d_fake", "d_acc")


def _real_batch(batch, conditional):
    """A loader's batch -> (images, labels or None)."""
    if isinstance(batch, (list, tuple)):
        x = batch[0]
        y = batch[1] if conditional and len(batch) > 1 else None
    else:
        x, y = batch, None
    if conditional and y is None:
        raise ValueError("train_adversarial(conditional=True) needs (images, labels) batches")
    return x, y


def _call(model, x, y):
    return model(x) if y is None else model(x, y)


def adversarial_step(generator, discriminator, source, real, g_optimizer, d_optimizer, *,
                     labels=None, real_labels=None, update_generator=True):
    """One discriminator update, then (if `update_generator`) one generator update.

    `generator(source)` makes the fake samples (`generator(source, labels)` when labels are
    given, and the discriminator is called with the same labels; `real_labels` go with
    `real`). The fake batch is generated once: detached for the discriminator's update, then
    scored again by the updated discriminator for the generator's.

    Returns floats: d_loss, g_loss (None without a generator update), d_real / d_fake (mean
    D probability on real / fake) and d_acc (D's accuracy on both at threshold 1/2).
    """
    if update_generator:
        fake = _call(generator, source, labels)
    else:
        with no_grad():
            fake = _call(generator, source, labels)
    real_logits = _call(discriminator, real, real_labels)
    fake_logits = _call(discriminator, fake.detach(), labels)
    ones_real = creation.ones(real_logits.shape, device=real_logits.device)
    d_loss = (F.binary_cross_entropy_with_logits(real_logits, ones_real)
              + F.binary_cross_entropy_with_logits(
                  fake_logits, creation.zeros(fake_logits.shape, device=fake_logits.device)))
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
    with no_grad():
        p_real, p_fake = real_logits.sigmoid(), fake_logits.sigmoid()
        stats = {"d_loss": d_loss.item(), "g_loss": None,
                 "d_real": p_real.mean().item(), "d_fake": p_fake.mean().item(),
                 "d_acc": ((p_real > 0.5).float().mean().item()
                           + (p_fake <= 0.5).float().mean().item()) / 2}
    if update_generator:
        # non-saturating: make the (just updated) discriminator call the fakes real
        scores = _call(discriminator, fake, labels)
        g_loss = F.binary_cross_entropy_with_logits(
            scores, creation.ones(scores.shape, device=scores.device))
        g_optimizer.zero_grad()
        g_loss.backward()
        g_optimizer.step()
        stats["g_loss"] = g_loss.item()
    return stats


class _EpochMeans:
    """Per-epoch means of the step statistics (weighted by batch size) into `history`."""

    def __init__(self, history, names):
        self.history, self.names = history, names
        for k in names:
            history.setdefault(k, [])
        self.sums, self.count = dict.fromkeys(names, 0.0), 0

    def add(self, stats, n):
        for k in self.names:
            self.sums[k] += stats[k] * n
        self.count += n

    def close(self):
        for k in self.names:
            self.history[k].append(self.sums[k] / max(self.count, 1))
        self.sums, self.count = dict.fromkeys(self.names, 0.0), 0


def train_adversarial(generator, discriminator, data, *, epochs, latent_dim, g_optimizer,
                      d_optimizer, conditional=False, num_classes=10, d_steps=1,
                      callback=None, device=None):
    """Train a GAN by alternating discriminator and generator updates (`adversarial_step`).

    `data` yields real image batches (a Tensor, or (images, labels) tuples: labels are used
    only when `conditional`, where both players are called as model(input, labels) and the
    generator's labels are drawn uniformly from `num_classes`). `d_steps` discriminator
    updates precede each generator update. `callback(epoch, generator, discriminator,
    history)` runs after each epoch (0-based), e.g. to draw a grid of samples.

    Returns a dict of per-epoch means over the batches that updated the generator: d_loss,
    g_loss, d_real (mean D(x) probability), d_fake (mean D(G(z))), d_acc (the
    discriminator's accuracy on real + fake at threshold 1/2), plus g_loss_steps /
    d_loss_steps (per update).

    Shape: images (N, C, H, W); generator (N, latent_dim) -> (N, C, H, W);
    discriminator (N, C, H, W) -> (N, 1) logits.
    """
    history = {"d_loss_steps": [], "g_loss_steps": []}
    means = _EpochMeans(history, _STATS)
    for epoch in range(epochs):
        generator.train()
        discriminator.train()
        for i, batch in enumerate(data):
            x, y = _real_batch(batch, conditional)
            if device is not None:
                x = x.to(device)
                y = y.to(device) if y is not None else None
            n = x.shape[0]
            z = creation.randn(n, latent_dim, device=x.device)
            y_fake = (creation.randint(0, num_classes, (n,), device=x.device)
                      if conditional else None)
            update_g = (i + 1) % d_steps == 0
            stats = adversarial_step(generator, discriminator, z, x, g_optimizer, d_optimizer,
                                     labels=y_fake, real_labels=y, update_generator=update_g)
            history["d_loss_steps"].append(stats["d_loss"])
            if update_g:
                history["g_loss_steps"].append(stats["g_loss"])
                means.add(stats, n)
        means.close()
        if callback is not None:
            callback(epoch, generator, discriminator, history)
    return history


def train_adversarial_autoencoder(model, data, *, epochs, optimizer, d_optimizer, g_optimizer,
                                  callback=None, device=None):
    """Train an adversarial autoencoder (Makhzani et al., 2015), e.g.
    brique.models.AdversarialAutoencoder: per batch, a reconstruction step (binary
    cross-entropy of model(x) against x, `optimizer` on encoder + decoder), then
    `adversarial_step` with the encoder as the generator (`g_optimizer`, on the encoder's
    parameters) and prior samples `model.sample_prior(n)` as the real codes for
    `model.discriminator` (`d_optimizer`).

    `data` yields image batches (or (images, labels) tuples, labels unused). Returns per-epoch
    means: recon_loss, d_loss, g_loss, d_real, d_fake, d_acc.
    """
    history = {}
    means = _EpochMeans(history, ("recon_loss",) + _STATS)
    for epoch in range(epochs):
        model.train()
        for batch in data:
            x, _ = _real_batch(batch, False)
            if device is not None:
                x = x.to(device)
            optimizer.zero_grad()
            recon = F.binary_cross_entropy(model(x), x)
            recon.backward()
            optimizer.step()
            n = x.shape[0]
            stats = adversarial_step(model.encode, model.discriminator, x,
                                     model.sample_prior(n, device=x.device),
                                     g_optimizer, d_optimizer)
            stats["recon_loss"] = recon.item()
            means.add(stats, n)
        means.close()
        if callback is not None:
            callback(epoch, model, history)
    return history


def sample(generator, n, latent_dim, labels=None, z=None, device=None):
    """n samples from `generator` in eval mode (no graph); `labels` (N,) for a conditional
    generator, `z` to fix the codes. Shape: -> (n, C, H, W)."""
    was_training = generator.training
    generator.eval()
    with no_grad():
        if z is None:
            z = creation.randn(n, latent_dim, device=device)
        if labels is not None and not isinstance(labels, Tensor):
            labels = creation.tensor(labels, device=device)
        out = _call(generator, z, labels)
    generator.train(was_training)
    return out
