"""Adversarial examples: small input changes, chosen with the model's own gradient, that change
its decision (Szegedy et al. 2014; Goodfellow et al. 2015's panda that becomes a gibbon).

- fgsm: the fast gradient sign method, one step of size eps along sign(d loss / d x).
- pgd: projected gradient descent (Madry et al. 2018): `steps` signed steps of size alpha, each
  followed by a projection back into the L-infinity ball of radius eps around x.
- AdversarialBatches: wraps a loader so that each batch also carries (or is replaced by) its
  adversarial copy made against the current model: adversarial training from `fit` or a loop.

All work inside `no_grad()`, in eval mode (the model is switched there and back) and on the
input's device, leave the parameters' `.grad` untouched, and return detached tensors kept in
the `clamp` range (None: no clamping). (The GAN two-player helpers are brique.train.adversarial.)
"""
from __future__ import annotations

from .autograd import no_grad
from .creation import rand_like
from .explain._inspect import check_input, input_grad, inspecting
from .nn import functional as F
from .ops.elementwise import clamp as _clamp, maximum, minimum
from .ops.movement import cat


def _loss_objective(y, loss_fn):
    def objective(model, x):
        return loss_fn(model(x), y)
    return objective


def _check(x, eps, clamp, op):
    check_input(x, op, 1)
    if eps < 0:
        raise ValueError(f"{op}: eps must be >= 0, got {eps}")
    if clamp is not None and (len(clamp) != 2 or clamp[0] > clamp[1]):
        raise ValueError(f"{op}: clamp must be None or (low, high) with low <= high, got "
                         f"{clamp}")


def _in_range(x, clamp):
    return x if clamp is None else _clamp(x, clamp[0], clamp[1])


def fgsm(model, x, y, eps, loss_fn=F.cross_entropy, clamp=(0, 1)):
    """x + eps * sign(d loss_fn(model(x), y) / d x), clamped to `clamp`.

    Shape: x (N, ...), y what loss_fn takes -> (N, ...), like x.
    """
    _check(x, eps, clamp, "fgsm")
    with inspecting(model):
        g = input_grad(model, x, _loss_objective(y, loss_fn))
    with no_grad():
        return _in_range(x.detach() + eps * g.sign(), clamp)


def pgd(model, x, y, eps, alpha, steps, random_start=False, loss_fn=F.cross_entropy,
        clamp=(0, 1)):
    """Projected gradient descent in the L-infinity ball: from x (or, with random_start, a
    uniform point of the ball), `steps` times: x' += alpha * sign(gradient of the loss), then
    x' is projected back to [x - eps, x + eps] and to `clamp`. The result never leaves either.

    Shape: x (N, ...), y what loss_fn takes -> (N, ...), like x.
    """
    _check(x, eps, clamp, "pgd")
    if alpha < 0 or steps < 0:
        raise ValueError(f"pgd: alpha and steps must be >= 0, got alpha={alpha}, steps={steps}")
    x = x.detach()
    low, high = x - eps, x + eps
    adv = x
    if random_start:
        adv = _in_range(x + eps * (2 * rand_like(x) - 1), clamp)
    objective = _loss_objective(y, loss_fn)
    with inspecting(model):
        for _ in range(steps):
            g = input_grad(model, adv, objective)
            with no_grad():
                adv = _in_range(minimum(maximum(adv + alpha * g.sign(), low), high), clamp)
    return adv.detach()


class AdversarialBatches:
    """Batches of `loader` with adversarial copies made against `model` as it is when each batch
    is drawn, so the attack follows the training:

        fit(model, AdversarialBatches(loader, model, eps=0.1), ...)
        for x, y in AdversarialBatches(loader, model, "pgd", eps=0.1, alpha=0.02, steps=7): ...

    attack: "fgsm", "pgd" or a callable(model, x, y) -> x_adv. clean=True yields the clean and
    adversarial batches concatenated (Goodfellow et al.'s objective, an equal mix of the two
    losses); clean=False only the adversarial one (Madry et al.). Batches are moved to the
    model's device. Other keywords go to the attack (eps, alpha, steps, clamp, loss_fn...).
    """

    def __init__(self, loader, model, attack="fgsm", clean=True, **attack_kwargs):
        attacks = {"fgsm": fgsm, "pgd": pgd}
        if not callable(attack) and attack not in attacks:
            raise ValueError(f"AdversarialBatches: attack must be 'fgsm', 'pgd' or a callable, "
                             f"got {attack!r}")
        self.loader, self.model, self.clean = loader, model, clean
        self.attack = attack if callable(attack) else attacks[attack]
        self.kwargs = attack_kwargs

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        params = list(self.model.parameters())
        device = params[0].device if params else None
        for batch in self.loader:
            x, y = batch
            if device is not None:
                x, y = x.to(device), y.to(device)
            adv = self.attack(self.model, x, y, **self.kwargs)
            yield (cat([x, adv], 0), cat([y, y], 0)) if self.clean else (adv, y)
