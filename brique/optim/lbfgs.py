"""L-BFGS: a quasi-Newton method that builds its step from the last `history_size` pairs of
(parameter change, gradient change), optionally with a strong-Wolfe line search (Nocedal &
Wright, Numerical Optimization, algorithms 7.4 and 3.5-3.6). Full-batch problems: it calls
`closure()` several times per step, so the loss must be deterministic.

It is not a per-parameter rule: all parameters form one flat vector, so `step()` is its own.
Scalars (step length, curvatures) are Python floats; vectors are raw arrays.
"""
from __future__ import annotations

from .. import backend
from ..autograd import enable_grad, no_grad
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to
    `bounds` (default: between the two points); the middle when the cubic has none."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = d2_square ** 0.5
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, low), high)


def _safeguard(t, ends, insufficient):
    """A zoom step too close to an end of the bracket twice in a row (or outside it) moves 10%
    of the bracket inside; returns (t, whether this step was too close)."""
    margin = 0.1 * (max(ends) - min(ends))
    if min(max(ends) - t, t - min(ends)) >= margin:
        return t, False
    if insufficient or t >= max(ends) or t <= min(ends):
        return (max(ends) - margin if abs(t - max(ends)) < abs(t - min(ends))
                else min(ends) + margin), False
    return t, True


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Find a step t along d with sufficient decrease (f(t) <= f + c1 t gtd) and small slope
    (|g(t).d| <= -c2 gtd): first bracket such a t, then zoom into the bracket by cubic
    interpolation. Returns (f, g, t, evaluations)."""
    xp = backend.get_array_module(d)
    d_norm = float(xp.abs(d).max())
    f_new, g_new = evaluate(t)
    evals, ls_iter = 1, 0
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    bracket = None
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = [[t, f_new, g_new, gtd_new]], True
            break
        if gtd_new >= 0:
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        # extrapolate: the minimum of the cubic, between 1.01 t and 10 t
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals, ls_iter = evals + 1, ls_iter + 1
        gtd_new = float(g_new @ d)
    if ls_iter == max_ls:
        bracket = [[0.0, f, g, gtd], [t, f_new, g_new, gtd_new]]
    if done:
        return f_new, g_new, t, evals

    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    insufficient = False
    while not done and ls_iter < max_ls:
        ends = (bracket[0][0], bracket[1][0])
        if abs(ends[1] - ends[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(*bracket[0][:2], bracket[0][3], *bracket[1][:2], bracket[1][3])
        t, insufficient = _safeguard(t, ends, insufficient)
        f_new, g_new = evaluate(t)
        evals, ls_iter = evals + 1, ls_iter + 1
        gtd_new = float(g_new @ d)
        point = [t, f_new, g_new, gtd_new]
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = point
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = point
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals


def _remember(y, s, old_dirs, old_stps, ro, h_diag, history_size):
    """Add the curvature pair (y, s) to the history (in place) when y.s > 0, forgetting the
    oldest beyond `history_size`; returns the new initial Hessian scale."""
    ys = float(y @ s)
    if ys <= 1e-10:  # keep only pairs of positive curvature
        return h_diag
    if len(old_dirs) == history_size:
        del old_dirs[0], old_stps[0], ro[0]
    old_dirs.append(y)
    old_stps.append(s)
    ro.append(1.0 / ys)
    return ys / float(y @ y)


class LBFGS(Optimizer):
    """PyTorch's L-BFGS: `opt.step(closure)`, where `closure()` zeroes the gradients, computes
    the loss, calls `backward()` and returns the loss. One step runs up to `max_iter`
    iterations (`max_eval` loss evaluations); `line_search_fn="strong_wolfe"` picks each
    step length, else it is `lr` (the first scaled by 1 / |g|_1). One param group only."""

    keeps_step = False

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        check_hyper("learning rate", lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{line_search_fn!r}")
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------------------------ the flat vector
    def _flat_grad(self):
        xp = backend.get_array_module(self._params[0]._data)
        return xp.concatenate([p.grad._data.reshape(-1) if p.grad is not None
                               else xp.zeros(p.numel(), p.dtype) for p in self._params])

    def _move(self, t, d):
        offset = 0
        for p in self._params:
            n = p.numel()
            p._data += t * d[offset:offset + n].reshape(p.shape)
            p._version += 1
            offset += n

    def _evaluate(self, closure, x, t, d):
        """Loss and flat gradient at x + t d; the parameters are put back at x."""
        self._move(t, d)
        loss = float(closure())
        grad = self._flat_grad()
        for p, saved in zip(self._params, x):
            p._data[...] = saved
        return loss, grad

    def step(self, closure):
        """Up to `max_iter` L-BFGS iterations; returns the loss closure() gave at the start."""
        if closure is None:
            raise RuntimeError("LBFGS.step needs a closure that re-evaluates the loss")
        with no_grad():
            return self._step(closure)

    def _closure(self, closure):
        with enable_grad():
            return closure()

    def _advance(self, group, closure, t, d, loss, flat_grad, gtd, budget, last):
        """Move the parameters along `d` by `t`, or by the strong-Wolfe step found from `t`;
        returns (loss, flat gradient, step, closure evaluations) at the new point."""
        if group["line_search_fn"] == "strong_wolfe":
            x = [p._data.copy() for p in self._params]
            loss, flat_grad, t, evals = _strong_wolfe(
                lambda step: self._evaluate(lambda: self._closure(closure), x, step, d),
                t, d, loss, flat_grad, gtd, max_ls=budget)
            self._move(t, d)
            return loss, flat_grad, t, evals
        self._move(t, d)
        if last:  # the last iteration's loss would go unused
            return loss, flat_grad, t, 0
        return float(self._closure(closure)), self._flat_grad(), t, 1

    def _step(self, closure):
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state[self._params[0]]  # the global state lives with the first parameter
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._closure(closure)
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        xp = backend.get_array_module(self._params[0]._data)
        flat_grad = self._flat_grad()
        if float(xp.abs(flat_grad).max()) <= tolerance_grad:
            return orig_loss

        d, t = _array(state.get("d")), state.get("t")
        old_dirs = [_array(v) for v in state.get("old_dirs", [])]
        old_stps = [_array(v) for v in state.get("old_stps", [])]
        ro, h_diag = list(state.get("ro", [])), state.get("H_diag", 1.0)
        prev_flat_grad, prev_loss = _array(state.get("prev_flat_grad")), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -flat_grad, [], [], [], 1.0
            else:
                h_diag = _remember(flat_grad - prev_flat_grad, d * t, old_dirs, old_stps, ro,
                                   h_diag, group["history_size"])
                d = self._direction(flat_grad, old_dirs, old_stps, ro, h_diag)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(xp.abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = float(flat_grad @ d)
            if gtd > -tolerance_change:  # not a descent direction any more
                break
            loss, flat_grad, t, ls_evals = self._advance(group, closure, t, d, loss, flat_grad,
                                                         gtd, max_eval - evals,
                                                         last=n_iter == max_iter)
            opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
            evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == max_iter or evals >= max_eval or opt_cond:
                break
            if float(xp.abs(d * t).max()) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break
        state.update(d=Tensor._make(d), t=t, old_dirs=[Tensor._make(v) for v in old_dirs],
                     old_stps=[Tensor._make(v) for v in old_stps], ro=ro, H_diag=h_diag,
                     prev_flat_grad=Tensor._make(prev_flat_grad), prev_loss=prev_loss)
        return orig_loss

    @staticmethod
    def _direction(flat_grad, old_dirs, old_stps, ro, h_diag):
        """-H g by the two-loop recursion over the stored pairs."""
        q = -flat_grad
        al = [0.0] * len(old_dirs)
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = float(old_stps[i] @ q) * ro[i]
            q -= al[i] * old_dirs[i]
        r = q * h_diag
        for i in range(len(old_dirs)):
            be_i = float(old_dirs[i] @ r) * ro[i]
            r += (al[i] - be_i) * old_stps[i]
        return r


def _array(value):
    return value._data if isinstance(value, Tensor) else value
