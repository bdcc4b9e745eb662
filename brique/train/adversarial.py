"""Two-player training: a GAN's discriminator and generator, updated in turn.

Goodfellow et al.'s minimax criterion, min_G max_D E[log D(x)] + E[log(1 - D(G(z)))], is
trained by alternating one step of each player, each with its own optimizer:

- discriminator: minimize BCE(D(x), 1) + BCE(D(G(z)), 0), with G(z) detached;
- generator: the non-saturating loss BCE(D(G(z)), 1) = -log D(G(z)), which has the same
  fixed point as minimizing log(1 - D(G(z))) but strong gradients while D wins easily.

D outputs logits; the losses go through F.binary_cross_entropy_with_logits (stable).

    history = train_adversarial(G, D, loader, epochs=20, latent_dim=64,
                                g_optimizer=optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999)),
                                d_optimizer=optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999)))
"""
from __future__ import annotations

from .. import creation
from ..autograd import no_grad
from ..nn import functional as F
from ..tensor import Tensor


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


def train_adversarial(generator, discriminator, data, *, epochs, latent_dim, g_optimizer,
                      d_optimizer, conditional=False, num_classes=10, d_steps=1,
                      callback=None, device=None):
    """Train a GAN by alternating discriminator and generator updates.

    `data` yields real image batches (a Tensor, or (images, labels) tuples: labels are used
    only when `conditional`, where both players are called as model(input, labels) and the
    generator's labels are drawn uniformly from `num_classes`). `d_steps` discriminator
    updates precede each generator update. `callback(epoch, generator, discriminator,
    history)` runs after each epoch (0-based), e.g. to draw a grid of samples.

    Returns a dict of per-epoch means: d_loss, g_loss, d_real (mean D(x) probability),
    d_fake (mean D(G(z))), d_acc (the discriminator's accuracy on real + fake at threshold
    1/2), plus g_loss_steps / d_loss_steps (per update).

    Shape: images (N, C, H, W); generator (N, latent_dim) -> (N, C, H, W);
    discriminator (N, C, H, W) -> (N, 1) logits.
    """
    names = ("d_loss", "g_loss", "d_real", "d_fake", "d_acc")
    history = {k: [] for k in names}
    history.update(d_loss_steps=[], g_loss_steps=[])
    for epoch in range(epochs):
        generator.train()
        discriminator.train()
        sums, count = dict.fromkeys(names, 0.0), 0
        for i, batch in enumerate(data):
            x, y = _real_batch(batch, conditional)
            if device is not None:
                x = x.to(device)
                y = y.to(device) if y is not None else None
            n = x.shape[0]
            ones = creation.ones(n, 1, device=x.device)
            zeros = creation.zeros(n, 1, device=x.device)

            # discriminator: real -> 1, fake -> 0; the generator is not updated here
            z = creation.randn(n, latent_dim, device=x.device)
            y_fake = (creation.randint(0, num_classes, (n,), device=x.device)
                      if conditional else None)
            with no_grad():
                fake = _call(generator, z, y_fake)
            real_logits = _call(discriminator, x, y)
            fake_logits = _call(discriminator, fake, y_fake)
            d_loss = (F.binary_cross_entropy_with_logits(real_logits, ones)
                      + F.binary_cross_entropy_with_logits(fake_logits, zeros))
            d_optimizer.zero_grad()
            d_loss.backward()
            d_optimizer.step()
            history["d_loss_steps"].append(d_loss.item())
            if (i + 1) % d_steps:
                continue

            # generator, non-saturating: make D call its samples real
            z = creation.randn(n, latent_dim, device=x.device)
            fake = _call(generator, z, y_fake)
            g_loss = F.binary_cross_entropy_with_logits(_call(discriminator, fake, y_fake), ones)
            g_optimizer.zero_grad()
            g_loss.backward()
            g_optimizer.step()
            history["g_loss_steps"].append(g_loss.item())

            with no_grad():
                p_real, p_fake = real_logits.sigmoid(), fake_logits.sigmoid()
                sums["d_real"] += p_real.mean().item() * n
                sums["d_fake"] += p_fake.mean().item() * n
                sums["d_acc"] += ((p_real > 0.5).float().mean().item()
                                  + (p_fake <= 0.5).float().mean().item()) / 2 * n
            sums["d_loss"] += d_loss.item() * n
            sums["g_loss"] += g_loss.item() * n
            count += n
        for k in names:
            history[k].append(sums[k] / max(count, 1))
        if callback is not None:
            callback(epoch, generator, discriminator, history)
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
