"""Recurrent primitives: one direction of one RNN/LSTM/GRU layer over a whole sequence (the
composite cells that RNNCell/LSTMCell/GRUCell use are in cells.py).

The layer primitives take the input projection of every time step at once (`xproj`, one matmul
done by the caller) and run the time loop: one compiled call on float32 NumPy arrays
(_kernels_rnn.py), else in the array module. They are fused because a graph of per-step ops
slices `xproj` once per step, and each slice's backward scatters into a zero array of the
whole sequence: O(L^2) memory traffic and ~20 graph nodes per step.

Their backward is BPTT, the same way. Under `create_graph=True` it instead replays
the forward with the composite cells and differentiates that, so higher-order gradients still
come out right (slowly).
"""
from __future__ import annotations

from .. import backend
from . import _kernels_rnn, _threads
from .cells import _affine, gru_step, lstm_step, rnn_step
from ..autograd import Function, enable_grad, grad, is_grad_enabled
from ..tensor import Tensor

xp_of = backend.get_array_module


# ----------------------------------------------------------------- fused layer primitives


def _steps(L, reverse):
    return range(L - 1, -1, -1) if reverse else range(L)


def _sigmoid_(a, xp):
    """In-place sigmoid as (1 + tanh(a / 2)) / 2: no overflow on either tail."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


class _Layer(Function):
    """Shared replay for create_graph: rebuild the layer with composite cells and let autograd
    differentiate it, so the gradient is itself a graph of primitives."""

    def _replay(self, g):
        inputs = self.saved
        wanted = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
        with enable_grad():
            out = self._composite(*inputs)
            got = iter(grad(out, wanted, g, create_graph=True, allow_unused=True))
        return tuple(next(got) if isinstance(t, Tensor) and t.requires_grad else None
                     for t in inputs)


class RNNLayer(_Layer):
    """h_t = act(xproj_t + h_{t-1} W_hh^T) over the sequence.

    Shape: xproj (L, N, H) (= x W_ih^T + b_ih + b_hh), w_hh (H, H), h0 (N, H) -> hs (L, N, H).
    """

    def forward(self, xproj, w_hh, h0, reverse=False, nonlinearity="tanh"):
        xp = xp_of(xproj)
        self.reverse, self.nonlinearity = reverse, nonlinearity
        out = xp.empty(xproj.shape, dtype=xproj.dtype)
        wt = xp.ascontiguousarray(w_hh.T)
        # With numba, NumPy's OpenBLAS and float32 NumPy arrays, the time loop is one compiled
        # call (_kernels_rnn.rnn_forward / rnn_backward), as in LSTMLayer.
        self.compiled = _kernels_rnn.usable(xproj, w_hh, h0)
        with _threads.blas_threads_for(xproj, xproj.shape[1] * wt.size):
            if self.compiled:
                _kernels_rnn.rnn_forward(xp.ascontiguousarray(xproj), wt,
                                         xp.ascontiguousarray(h0), reverse,
                                         nonlinearity == "relu", out)
            else:
                self._forward_steps(xproj, wt, h0, out)
        self.out, self.h0 = out, h0
        return out

    def _forward_steps(self, xproj, wt, h, out):
        xp = xp_of(xproj)
        for t in _steps(xproj.shape[0], self.reverse):
            hn = out[t]
            xp.matmul(h, wt, out=hn)
            hn += xproj[t]
            if self.nonlinearity == "tanh":
                xp.tanh(hn, out=hn)
            else:
                xp.maximum(hn, 0, out=hn)
            h = hn

    def backward(self, g):
        if is_grad_enabled():
            return self._replay(g)
        xp = xp_of(g._data)
        gd, out, h0 = g._data, self.out, self.h0
        _, w_hh, _ = self.saved
        w = w_hh._data
        dpre = xp.empty(out.shape, dtype=out.dtype)
        with _threads.blas_threads_for(gd, gd.shape[1] * w.size):
            if self.compiled:
                dh = xp.zeros_like(h0)
                _kernels_rnn.rnn_backward(out, xp.ascontiguousarray(gd), xp.ascontiguousarray(w),
                                          self.reverse, self.nonlinearity == "relu", dh, dpre)
            else:
                dh = self._backward_steps(gd, w, dpre)
        hprev = _shifted(out, h0, self.reverse)
        H = out.shape[-1]
        dw = dpre.reshape(-1, H).T @ hprev.reshape(-1, H)
        return Tensor._make(dpre), Tensor._make(dw), Tensor._make(dh)

    def _backward_steps(self, gd, w, dpre):
        """dpre, the pre-activations' gradients, filled by time; returns h0's gradient."""
        xp, out = xp_of(gd), self.out
        deriv = 1 - out * out if self.nonlinearity == "tanh" else (out > 0).astype(out.dtype)
        dh = xp.zeros_like(self.h0)
        for t in _steps(out.shape[0], not self.reverse):
            d = dpre[t]
            xp.add(dh, gd[t], out=d)
            d *= deriv[t]
            dh = d @ w
        return dh

    def _composite(self, xproj, w_hh, h0):
        h, hs = h0, [None] * xproj.shape[0]
        for t in _steps(xproj.shape[0], self.reverse):
            h = hs[t] = rnn_step(xproj[t] + h @ w_hh.mT, h, self.nonlinearity)
        return _stack(hs)


class LSTMLayer(_Layer):
    """An LSTM direction over the sequence. Returns the hidden states with the last cell state
    appended, packed in one array (a Function has one output).

    Shape: xproj (L, N, 4H) (= x W_ih^T + b_ih + b_hh), w_hh (4H, H), h0 and c0 (N, H)
    -> (L + 1, N, H): [:L] the hidden state at each time, [L] the final cell state.
    """

    # With numba, NumPy's OpenBLAS and float32 NumPy arrays, the time loop is one compiled
    # call (_kernels_rnn.lstm_forward / lstm_backward) on the (N, 4H) layout xproj comes in.
    # Otherwise the loop below works on transposed states (features, batch):
    # every gate is then a contiguous block of rows, and elementwise ops on strided column
    # slices cost 4x more in NumPy.
    def forward(self, xproj, w_hh, h0, c0, reverse=False):
        xp = xp_of(xproj)
        L, N, G = xproj.shape
        H = G // 4
        self.reverse = reverse
        self.compiled = _kernels_rnn.usable(xproj, w_hh, h0, c0)
        if self.compiled:
            return self._forward_compiled(xproj, w_hh, h0, c0)
        # sigmoid(x) = (1 + tanh(x/2)) / 2: halve the i, f, o rows so that one tanh call
        # activates all four gates, then finish i, f, o with an affine map.
        acts = xp.ascontiguousarray(xproj.transpose(0, 2, 1))    # (L, 4H, N), by time
        ws = w_hh.copy()
        for blk in (slice(0, 2 * H), slice(3 * H, G)):
            acts[:, blk] *= 0.5
            ws[blk] *= 0.5
        cs = xp.empty((L, H, N), dtype=xproj.dtype)
        tcs = xp.empty((L, H, N), dtype=xproj.dtype)
        hs = xp.empty((L, H, N), dtype=xproj.dtype)
        tmp = xp.empty((H, N), dtype=xproj.dtype)
        h, c = h0.T, c0.T
        with _threads.blas_threads_for(acts, N * ws.size):
            for t in _steps(L, reverse):
                a = acts[t]
                a += ws @ h
                xp.tanh(a, out=a)
                for blk in (a[:2 * H], a[3 * H:]):
                    blk *= 0.5
                    blk += 0.5
                cn, tc, hn = cs[t], tcs[t], hs[t]
                xp.multiply(a[H:2 * H], c, out=cn)
                xp.multiply(a[:H], a[2 * H:3 * H], out=tmp)
                cn += tmp
                xp.tanh(cn, out=tc)
                xp.multiply(a[3 * H:], tc, out=hn)
                h, c = hn, cn
        packed = xp.empty((L + 1, N, H), dtype=xproj.dtype)
        packed[:L] = hs.transpose(0, 2, 1)
        packed[L] = c.T
        self.acts, self.cs, self.tcs, self.hs = acts, cs, tcs, packed[:L]
        self.h0, self.c0 = h0, c0
        return packed

    def _forward_compiled(self, xproj, w_hh, h0, c0):
        xp = xp_of(xproj)
        L, N, G = xproj.shape
        H = G // 4
        gates = xp.empty((L, N, G), dtype=xproj.dtype)
        cs = xp.empty((L, N, H), dtype=xproj.dtype)
        tcs = xp.empty((L, N, H), dtype=xproj.dtype)
        packed = xp.empty((L + 1, N, H), dtype=xproj.dtype)
        with _threads.blas_threads_for(xproj, N * G * H):
            _kernels_rnn.lstm_forward(*(xp.ascontiguousarray(a) for a in (xproj, w_hh.T, h0, c0)),
                                      self.reverse, gates, cs, tcs, packed)
        self.acts, self.cs, self.tcs, self.hs = gates, cs, tcs, packed[:L]
        self.h0, self.c0 = h0, c0
        return packed

    def _backward_compiled(self, g):
        xp = xp_of(g)
        gates, cs, tcs = self.acts, self.cs, self.tcs
        L, N, G = gates.shape
        H = G // 4
        _, w_hh, _, _ = self.saved
        dgates = xp.empty((L, N, G), dtype=gates.dtype)
        dh = xp.zeros((N, H), dtype=gates.dtype)
        dc = xp.array(g[L], dtype=gates.dtype, order="C")
        with _threads.blas_threads_for(gates, N * G * H):
            _kernels_rnn.lstm_backward(gates, cs, xp.ascontiguousarray(self.c0), tcs,
                                       xp.ascontiguousarray(g[:L]),
                                       xp.ascontiguousarray(w_hh._data), self.reverse, dh, dc,
                                       dgates)
        hprev = _shifted(self.hs, self.h0, self.reverse)
        dw = dgates.reshape(-1, G).T @ hprev.reshape(-1, H)
        return Tensor._make(dgates), Tensor._make(dw), Tensor._make(dh), Tensor._make(dc)

    def backward(self, g):
        if is_grad_enabled():
            return self._replay(g)
        if self.compiled:
            return self._backward_compiled(g._data)
        xp = xp_of(g._data)
        acts, cs, tcs = self.acts, self.cs, self.tcs
        L, G, N = acts.shape
        H = G // 4
        _, w_hh, _, _ = self.saved
        wt = xp.ascontiguousarray(w_hh._data.T)
        gh = xp.ascontiguousarray(g._data[:L].transpose(0, 2, 1))      # (L, H, N)
        # Everything that needs no recurrence, for all steps at once: d gate / d pre-activation
        # times the factor each gate's gradient picks up (dc for i, f, g; dh for o).
        # (In-place ops throughout: every temporary here is megabytes that glibc maps afresh.)
        factor = xp.subtract(1, acts)
        factor *= acts
        gg, fg = acts[:, 2 * H:3 * H], factor[:, 2 * H:3 * H]
        xp.multiply(gg, gg, out=fg)
        xp.subtract(1, fg, out=fg)
        factor[:, :H] *= gg
        cprev = factor[:, H:2 * H]
        if self.reverse:
            cprev[:-1] *= cs[1:]
            cprev[-1] *= self.c0.T
        else:
            cprev[1:] *= cs[:-1]
            cprev[0] *= self.c0.T
        fg *= acts[:, :H]
        factor[:, 3 * H:] *= tcs
        o_dtanh = xp.multiply(tcs, tcs)
        xp.subtract(1, o_dtanh, out=o_dtanh)
        o_dtanh *= acts[:, 3 * H:]
        dgates = xp.empty((L, G, N), dtype=acts.dtype)
        tmp = xp.empty((H, N), dtype=acts.dtype)
        dh = xp.zeros((H, N), dtype=acts.dtype)
        dc = xp.ascontiguousarray(g._data[L].T)
        with _threads.blas_threads_for(acts, N * wt.size):
            for t in _steps(L, not self.reverse):
                d, f = dgates[t], factor[t]
                dh += gh[t]
                xp.multiply(dh, f[3 * H:], out=d[3 * H:])
                xp.multiply(dh, o_dtanh[t], out=tmp)
                dc += tmp
                xp.multiply(dc, f[:3 * H].reshape(3, H, N), out=d[:3 * H].reshape(3, H, N))
                dc *= acts[t, H:2 * H]
                dh = wt @ d
        dgates = xp.ascontiguousarray(dgates.transpose(0, 2, 1))     # (L, N, 4H)
        hprev = _shifted(self.hs, self.h0, self.reverse)
        dw = dgates.reshape(-1, G).T @ hprev.reshape(-1, H)
        return (Tensor._make(dgates), Tensor._make(dw), Tensor._make(xp.ascontiguousarray(dh.T)),
                Tensor._make(xp.ascontiguousarray(dc.T)))

    def _composite(self, xproj, w_hh, h0, c0):
        h, c, hs = h0, c0, [None] * xproj.shape[0]
        for t in _steps(xproj.shape[0], self.reverse):
            h, c = lstm_step(xproj[t] + h @ w_hh.mT, c)
            hs[t] = h
        return _stack(hs + [c])


class GRULayer(_Layer):
    """A GRU direction over the sequence.

    Shape: xproj (L, N, 3H) (= x W_ih^T + b_ih), w_hh (3H, H), b_hh (3H,) or None, h0 (N, H)
    -> hs (L, N, H).
    """

    def forward(self, xproj, w_hh, b_hh, h0, reverse=False):
        xp = xp_of(xproj)
        L, N, G = xproj.shape
        H = G // 3
        self.reverse = reverse
        wt = xp.ascontiguousarray(w_hh.T)
        out = xp.empty((L, N, H), dtype=xproj.dtype)
        rz_all = xp.empty((L, N, 2 * H), dtype=xproj.dtype)
        n_all = xp.empty((L, N, H), dtype=xproj.dtype)
        hn_all = xp.empty((L, N, H), dtype=xproj.dtype)   # W_hn h + b_hn, needed by backward
        # With numba, NumPy's OpenBLAS and float32 NumPy arrays, the time loop is one compiled
        # call, as in LSTMLayer.
        self.compiled = _kernels_rnn.usable(
            *(a for a in (xproj, w_hh, b_hh, h0) if a is not None))
        with _threads.blas_threads_for(xproj, N * wt.size):
            if self.compiled:
                b = xp.empty(0, xproj.dtype) if b_hh is None else xp.ascontiguousarray(b_hh)
                _kernels_rnn.gru_forward(xp.ascontiguousarray(xproj), wt, b,
                                         xp.ascontiguousarray(h0), reverse, rz_all, n_all,
                                         hn_all, out)
            else:
                self._forward_steps(xproj, wt, b_hh, h0, reverse, rz_all, n_all, hn_all, out)
        self.rz, self.n, self.hn, self.out, self.h0 = rz_all, n_all, hn_all, out, h0
        return out

    def _forward_steps(self, xproj, wt, b_hh, h, reverse, rz_all, n_all, hn_all, out):
        xp = xp_of(xproj)
        N, G = xproj.shape[1:]
        H = G // 3
        hp = xp.empty((N, G), dtype=xproj.dtype)
        for t in _steps(xproj.shape[0], reverse):
            xp.matmul(h, wt, out=hp)
            if b_hh is not None:
                hp += b_hh
            x = xproj[t]
            rz, n, hnew = rz_all[t], n_all[t], out[t]
            xp.add(x[:, :2 * H], hp[:, :2 * H], out=rz)
            _sigmoid_(rz, xp)
            hn_all[t] = hp[:, 2 * H:]
            xp.multiply(rz[:, :H], hp[:, 2 * H:], out=n)
            n += x[:, 2 * H:]
            xp.tanh(n, out=n)
            xp.subtract(h, n, out=hnew)
            hnew *= rz[:, H:]
            hnew += n
            h = hnew

    def backward(self, g):
        if is_grad_enabled():
            return self._replay(g)
        gd, H = g._data, self.out.shape[-1]
        _, w_hh, b_hh, _ = self.saved
        w = w_hh._data
        hprev = _shifted(self.out, self.h0, self.reverse)
        if self.compiled:
            dx, dhp, dh = self._backward_steps_compiled(gd, hprev, w)
        else:
            dx, dhp, dh = self._backward_steps(gd, hprev, w)
        dw = dhp.reshape(-1, 3 * H).T @ hprev.reshape(-1, H)
        db = Tensor._make(dhp.sum(axis=(0, 1))) if b_hh is not None else None
        return Tensor._make(dx), Tensor._make(dw), db, Tensor._make(dh)

    def _backward_steps_compiled(self, gd, hprev, w):
        xp = xp_of(gd)
        L, N, H = self.out.shape
        dx = xp.empty((L, N, 3 * H), dtype=gd.dtype)
        dhp = xp.empty((L, N, 3 * H), dtype=gd.dtype)
        carry = xp.zeros((N, H), dtype=gd.dtype)      # z dh of the later step
        dh_next = xp.zeros((N, H), dtype=gd.dtype)    # dhp W_hh of the later step
        with _threads.blas_threads_for(gd, N * w.size):
            _kernels_rnn.gru_backward(self.rz, self.n, self.hn, hprev, xp.ascontiguousarray(gd),
                                      xp.ascontiguousarray(w), self.reverse, dh_next, carry, dx,
                                      dhp)
        return dx, dhp, carry + dh_next

    def _backward_steps(self, gd, hprev, w):
        xp = xp_of(gd)
        rz, n, hn = self.rz, self.n, self.hn
        L, N, H = self.out.shape
        r, z = rz[..., :H], rz[..., H:]
        # Per-step factors that need no recurrence, all steps at once.
        dn_factor = (1 - z) * (1 - n * n)           # dh -> d(pre-activation of n)
        dz_factor = (hprev - n) * z * (1 - z)       # dh -> d(pre-activation of z)
        dr_factor = hn * r * (1 - r)                # dn_pre -> d(pre-activation of r)
        dx = xp.empty((L, N, 3 * H), dtype=gd.dtype)
        dhp = xp.empty((L, N, 3 * H), dtype=gd.dtype)
        dh = xp.zeros_like(self.h0)
        with _threads.blas_threads_for(gd, N * w.size):
            for t in _steps(L, not self.reverse):
                dh += gd[t]
                dxt, dht = dx[t], dhp[t]
                dn = dxt[:, 2 * H:]
                xp.multiply(dh, dn_factor[t], out=dn)
                xp.multiply(dh, dz_factor[t], out=dxt[:, H:2 * H])
                xp.multiply(dn, dr_factor[t], out=dxt[:, :H])
                dht[:, :2 * H] = dxt[:, :2 * H]
                xp.multiply(dn, r[t], out=dht[:, 2 * H:])
                dh *= z[t]
                dh += dht @ w
        return dx, dhp, dh

    def _composite(self, xproj, w_hh, b_hh, h0):
        h, hs = h0, [None] * xproj.shape[0]
        for t in _steps(xproj.shape[0], self.reverse):
            h = hs[t] = gru_step(xproj[t], _affine(h, w_hh, b_hh), h)
        return _stack(hs)


def _shifted(states, first, reverse):
    """The state each step starts from: [first, s_0, ..., s_{L-2}] in processing order, laid
    out by time like `states`."""
    xp = xp_of(states)
    if reverse:
        return xp.concatenate([states[1:], first[None]], axis=0)
    return xp.concatenate([first[None], states[:-1]], axis=0)


def _stack(tensors):
    from .movement import stack
    return stack(tensors, 0)
