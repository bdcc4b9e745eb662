"""Compiled kernels for the time loops of the RNN, LSTM and GRU layers (float32; recurrent.py),
compiled by _kernels._jit (with the helpers listed in _INLINED inlined into them);
`usable` decides when they run."""
from __future__ import annotations

import ctypes

import numpy

from . import _threads
from ._kernels import _jit, usable_float32


# ----------------------------------------------------------------- LSTM steps (float32)
# One compiled loop per time step does all of an LSTM cell's elementwise work, on the (N, 4H)
# gate layout the input projection comes in: NumPy needs ~12 calls per step forward and ~8
# backward, plus transposes into a layout where the gates are contiguous rows. The hidden
# products (h W_hh^T, d W_hh) stay BLAS calls between the kernels.

_F = numpy.float32
# tanh(v) ~ v * P(v^2) / Q(v^2) on [-7.9, 7.9] (beyond, tanh is 1 in float32): the odd rational
# approximation Eigen uses for float32, within 3e-7 of tanh. It is plain arithmetic, so LLVM
# vectorizes the loops that call it; numba's libm tanh is a scalar call, 60x slower than
# NumPy's SIMD one.
_P1, _P3, _P5, _P7 = (_F(4.89352455891786e-03), _F(6.37261928875436e-04),
                      _F(1.48572235717979e-05), _F(5.12229709037114e-08))
_P9, _P11, _P13 = _F(-8.60467152213735e-11), _F(2.00018790482477e-13), _F(-2.76076847742355e-16)
_Q0, _Q2, _Q4, _Q6 = (_F(4.89352518554385e-03), _F(2.26843463243900e-03),
                      _F(1.18534705686654e-04), _F(1.19825839466702e-06))
_CLAMP = _F(7.90531110763549805)
_HALF, _ONE = _F(0.5), _F(1)


def _tanh32(v):
    v = v if v < _CLAMP else _CLAMP
    v = v if v > -_CLAMP else -_CLAMP
    v2 = v * v
    p = ((((((_P13 * v2 + _P11) * v2 + _P9) * v2 + _P7) * v2 + _P5) * v2 + _P3) * v2 + _P1) * v
    q = ((_Q6 * v2 + _Q4) * v2 + _Q2) * v2 + _Q0
    return p / q


def _sigmoid32(v):
    return _HALF + _HALF * _tanh32(_HALF * v)  # sigmoid(v) = (1 + tanh(v / 2)) / 2


def _sigmoid_of_sum(a, b, out):
    for k in range(out.shape[0]):
        out[k] = _sigmoid32(a[k] + b[k])


_INLINED = ("_tanh32", "_sigmoid32", "_sigmoid_of_sum", "_lstm_forward_step",
            "_lstm_backward_step", "_gru_forward_step", "_gru_backward_step")


def _lstm_forward_step(pre, hh, c_prev, gates, c, tc, h):
    # pre + hh: the gate pre-activations (N, 4H), gate order i, f, g, o. Writes the activated
    # gates, c = f c_prev + i g, tc = tanh(c), h = o tc.
    # Written for LLVM's vectorizer: every inner loop indexes row slices by its own range()
    # variable (a computed index such as H + r may be negative as far as numba knows, and its
    # wraparound check keeps the loop scalar), and touches few arrays (it would otherwise
    # give up checking them for overlap).
    N, H = c.shape
    for n in range(N):
        a, b, out = pre[n], hh[n], gates[n]
        _sigmoid_of_sum(a[:2 * H], b[:2 * H], out[:2 * H])
        ag, bg, og = a[2 * H:3 * H], b[2 * H:3 * H], out[2 * H:3 * H]
        for r in range(H):
            og[r] = _tanh32(ag[r] + bg[r])
        oo = out[3 * H:]
        _sigmoid_of_sum(a[3 * H:], b[3 * H:], oo)
        oi, of = out[:H], out[H:2 * H]
        cn, cp = c[n], c_prev[n]
        for r in range(H):
            cn[r] = of[r] * cp[r] + oi[r] * og[r]
        t, hn = tc[n], h[n]
        for r in range(H):
            t[r] = _tanh32(cn[r])
        for r in range(H):
            hn[r] = oo[r] * t[r]


def _lstm_backward_step(gates, c_prev, tc, gh, dh_next, dc, d):
    # dh = gh (the output's gradient) + dh_next (d_{t+1} W_hh); dc (N, H) is carried in place
    # to the previous step; d (N, 4H) gets the pre-activations' gradients. Loops written as
    # in _lstm_forward_step.
    N, H = dc.shape
    for n in range(N):
        g = gates[n]
        gi, gf, gg, go = g[:H], g[H:2 * H], g[2 * H:3 * H], g[3 * H:]
        dn = d[n]
        di, df, dg, do = dn[:H], dn[H:2 * H], dn[2 * H:3 * H], dn[3 * H:]
        t, dcn, cp = tc[n], dc[n], c_prev[n]
        dh = dh_next[n]
        ghn = gh[n]
        for r in range(H):  # dh -> the o gate
            do[r] = (ghn[r] + dh[r]) * t[r] * go[r] * (_ONE - go[r])
        for r in range(H):  # dc picks up dh's path through tanh(c)
            dcn[r] += (ghn[r] + dh[r]) * go[r] * (_ONE - t[r] * t[r])
        for r in range(H):
            di[r] = dcn[r] * gg[r] * gi[r] * (_ONE - gi[r])
        for r in range(H):
            df[r] = dcn[r] * cp[r] * gf[r] * (_ONE - gf[r])
        for r in range(H):
            dg[r] = dcn[r] * gi[r] * (_ONE - gg[r] * gg[r])
        for r in range(H):
            dcn[r] *= gf[r]


# An RNN, LSTM or GRU direction's whole time loop is one compiled call: the hidden product of
# each step (h W_hh^T forward, d W_hh backward) calls NumPy's OpenBLAS sgemm from inside the
# loop (_sgemm), so no step goes back to Python, whose calls per step (a product, a kernel,
# the slices) had cost about as much as a small LSTM's arithmetic: the benchmark's layer,
# forward and backward, 3.62-3.70 -> 3.34-3.54 ms; its epoch 1.5-7% shorter in each of 8 pairs
# of alternating processes (241-255 -> 226-251 ms).

def _lstm_forward(blas, xproj, wt, h0, c0, reverse, gates, cs, tcs, packed, hh):
    # xproj (L, N, 4H) + h_{t-1} wt (wt = W_hh^T, (H, 4H)) -> gates, cs, tcs (L, N, *) and
    # packed (L + 1, N, H): the hidden states, then the last cell state. hh: (N, 4H) scratch.
    L, N, G = xproj.shape
    H = G // 4
    for step in range(L):
        t = L - 1 - step if reverse else step
        tp = t + 1 if reverse else t - 1
        h_prev = h0 if step == 0 else packed[tp]
        c_prev = c0 if step == 0 else cs[tp]
        _sgemm(blas, N, G, H, h_prev.ctypes.data, wt.ctypes.data, hh.ctypes.data)
        _lstm_forward_step(xproj[t], hh, c_prev, gates[t], cs[t], tcs[t], packed[t])
    last, out = cs[0 if reverse else L - 1], packed[L]
    for n in range(N):
        dst, src = out[n], last[n]
        for r in range(H):
            dst[r] = src[r]


def _lstm_backward(blas, gates, cs, c0, tcs, gh, w, reverse, dh, dc, dgates):
    # Back through time from gh (L, N, H), the hidden states' gradient, and dc (N, H), the
    # last cell state's: dgates (L, N, 4H), and dh, dc carried down to h0 and c0 (w = W_hh).
    L, N, G = gates.shape
    H = G // 4
    for step in range(L):
        t = step if reverse else L - 1 - step
        tp = t + 1 if reverse else t - 1
        c_prev = c0 if step == L - 1 else cs[tp]
        _lstm_backward_step(gates[t], c_prev, tcs[t], gh[t], dh, dc, dgates[t])
        _sgemm(blas, N, H, G, dgates[t].ctypes.data, w.ctypes.data, dh.ctypes.data)


def usable(*arrays):
    """Can the compiled loops take these arrays (float32 NumPy, numba on) and call NumPy's
    BLAS (its OpenBLAS found)?"""
    return usable_float32(*arrays) and _threads.sgemm() is not None


def lstm_forward(xproj, wt, h0, c0, reverse, gates, cs, tcs, packed):
    """The LSTM forward loop (_lstm_forward) on float32 C-contiguous arrays."""
    _loop(_lstm_forward, xproj, wt, h0, c0, reverse, gates, cs, tcs, packed,
          numpy.empty(xproj.shape[1:], numpy.float32))


def lstm_backward(gates, cs, c0, tcs, gh, w, reverse, dh, dc, dgates):
    """The LSTM backward loop (_lstm_backward) on float32 C-contiguous arrays."""
    _loop(_lstm_backward, gates, cs, c0, tcs, gh, w, reverse, dh, dc, dgates)


def _sgemm_ctypes(blas, m, n, k, a, b, c):
    # C = A B for C-contiguous float32 matrices at addresses a (m x k), b (k x n), c (m x n),
    # through cblas_sgemm at blas = (address, 64-bit integers?). This is the plain-Python form
    # (the loops run uncompiled under NUMBA_DISABLE_JIT=1); compiled, it is _sgemm_intrinsic.
    address, wide = blas
    it, f32, p = ctypes.c_int64 if wide else ctypes.c_int32, ctypes.c_float, ctypes.c_void_p
    fn = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_int, ctypes.c_int, it, it, it, f32, p,
                          it, p, it, f32, p, it)(address)
    fn(101, 111, 111, m, n, k, 1.0, a, k, b, n, 0.0, c, n)  # row-major, no transposes


_sgemm = _sgemm_ctypes


def _loop(fn, *args):
    """fn(NumPy's sgemm, *args) compiled, once this module's _sgemm is the compiled call
    (numba imported here)."""
    global _sgemm
    import numba
    if _sgemm is _sgemm_ctypes and not numba.config.DISABLE_JIT:
        _sgemm = _sgemm_intrinsic()
    _jit(fn)(_threads.sgemm(), *args)


def _sgemm_intrinsic():
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    @intrinsic
    def sgemm(typingctx, blas, m, n, k, a, b, c):
        def codegen(context, builder, sig, args):
            address = builder.extract_value(args[0], 0)
            wide = context.cast(builder, builder.extract_value(args[0], 1),
                                sig.args[0].types[1], types.boolean)
            m, n, k, a, b, c = (context.cast(builder, v, t, types.int64)
                                for v, t in zip(args[1:], sig.args[1:]))
            i8p, f32, i32 = ir.IntType(8).as_pointer(), ir.FloatType(), ir.IntType(32)
            head = [ir.Constant(i32, v) for v in (101, 111, 111)]  # row-major, no transposes
            a, b, c = (builder.inttoptr(v, i8p) for v in (a, b, c))
            with builder.if_else(wide) as (ilp64, lp64):
                for block, it in ((ilp64, ir.IntType(64)), (lp64, i32)):
                    with block:
                        m_, n_, k_ = (v if it.width == 64 else builder.trunc(v, it)
                                      for v in (m, n, k))
                        fnty = ir.FunctionType(ir.VoidType(), [i32, i32, i32, it, it, it, f32,
                                                               i8p, it, i8p, it, f32, i8p, it])
                        builder.call(builder.inttoptr(address, fnty.as_pointer()),
                                     head + [m_, n_, k_, ir.Constant(f32, 1.0), a, k_, b, n_,
                                             ir.Constant(f32, 0.0), c, n_])
            return context.get_dummy_value()

        if not all(isinstance(t, types.Integer) for t in (m, n, k, a, b, c)):
            return None
        return types.none(blas, m, n, k, a, b, c), codegen
    return sgemm


# ----------------------------------------------------------------- GRU steps (float32)
# As the LSTM's: the cell's elementwise work of one time step, gate order r, z, n, inside the
# compiled time loop; hp = h W_hh^T + b_hh comes from the loop's sgemm.

def _gru_forward_step(x, hp, h_prev, rz, nn, hn, h):
    # r, z = sigmoid(x_rz + hp_rz); n = tanh(x_n + r hp_n); h = n + z (h_prev - n). Keeps
    # r and z (rz), n and hp_n (hn) for the backward. Loops written as in _lstm_forward_step.
    N, H = h.shape
    for b in range(N):
        xb, pb, g = x[b], hp[b], rz[b]
        _sigmoid_of_sum(xb, pb, g)
        r, z = g[:H], g[H:]
        xn, pn, nb, hnb = xb[2 * H:], pb[2 * H:], nn[b], hn[b]
        for k in range(H):
            hnb[k] = pn[k]
        for k in range(H):
            nb[k] = _tanh32(xn[k] + r[k] * pn[k])
        hb, hpb = h[b], h_prev[b]
        for k in range(H):
            hb[k] = nb[k] + z[k] * (hpb[k] - nb[k])


def _gru_backward_step(rz, nn, hn, h_prev, gh, dh_next, carry, dx, dhp):
    # dh = gh + carry + dh_next (carry: z dh of the later step, dh_next: its dhp W_hh). Writes
    # the pre-activations' gradients dx = (dr, dz, dn), dhp = (dr, dz, dn r), and carry = z dh.
    N, H = carry.shape
    for b in range(N):
        r, z = rz[b, :H], rz[b, H:]
        nb, hnb, hpb, cb = nn[b], hn[b], h_prev[b], carry[b]
        dxb, dpb = dx[b], dhp[b]
        dr, dz, dn = dxb[:H], dxb[H:2 * H], dxb[2 * H:]
        pr, pz, pn = dpb[:H], dpb[H:2 * H], dpb[2 * H:]
        ghb, dnb = gh[b], dh_next[b]
        for k in range(H):  # dh, kept in carry until its last use
            cb[k] += ghb[k] + dnb[k]
        for k in range(H):
            dn[k] = cb[k] * (_ONE - z[k]) * (_ONE - nb[k] * nb[k])
        for k in range(H):
            dz[k] = cb[k] * (hpb[k] - nb[k]) * z[k] * (_ONE - z[k])
        for k in range(H):
            dr[k] = dn[k] * hnb[k] * r[k] * (_ONE - r[k])
        for k in range(H):
            pr[k] = dr[k]
        for k in range(H):
            pz[k] = dz[k]
        for k in range(H):
            pn[k] = dn[k] * r[k]
        for k in range(H):
            cb[k] *= z[k]


def _gru_forward(blas, xproj, wt, b_hh, h0, reverse, rz, nn, hn, out, hp):
    # xproj (L, N, 3H) and hp = h_{t-1} wt + b_hh (wt = W_hh^T, (H, 3H); b_hh of size 3H, or
    # empty) -> rz, nn, hn and the hidden states out, by time. hp: (N, 3H) scratch.
    L, N, G = xproj.shape
    for step in range(L):
        t = L - 1 - step if reverse else step
        h_prev = h0 if step == 0 else out[t + 1 if reverse else t - 1]
        _sgemm(blas, N, G, G // 3, h_prev.ctypes.data, wt.ctypes.data, hp.ctypes.data)
        if b_hh.size:
            for b in range(N):
                row = hp[b]
                for k in range(G):
                    row[k] += b_hh[k]
        _gru_forward_step(xproj[t], hp, h_prev, rz[t], nn[t], hn[t], out[t])


def _gru_backward(blas, rz, nn, hn, hprev, gh, w, reverse, dh_next, carry, dx, dhp):
    # Back through time from gh (L, N, H): dx and dhp (L, N, 3H); carry + dh_next is then h0's
    # gradient (w = W_hh).
    L, N, H = gh.shape
    for step in range(L):
        t = step if reverse else L - 1 - step
        _gru_backward_step(rz[t], nn[t], hn[t], hprev[t], gh[t], dh_next, carry, dx[t], dhp[t])
        _sgemm(blas, N, H, 3 * H, dhp[t].ctypes.data, w.ctypes.data, dh_next.ctypes.data)


def gru_forward(xproj, wt, b_hh, h0, reverse, rz, nn, hn, out):
    """The GRU forward loop (_gru_forward) on float32 C-contiguous arrays."""
    _loop(_gru_forward, xproj, wt, b_hh, h0, reverse, rz, nn, hn, out,
          numpy.empty(xproj.shape[1:], numpy.float32))


def gru_backward(rz, nn, hn, hprev, gh, w, reverse, dh_next, carry, dx, dhp):
    """The GRU backward loop (_gru_backward) on float32 C-contiguous arrays."""
    _loop(_gru_backward, rz, nn, hn, hprev, gh, w, reverse, dh_next, carry, dx, dhp)


# ----------------------------------------------------------------- plain RNN (float32)

def _rnn_forward(blas, xproj, wt, h0, reverse, relu, out):
    # h_t = act(xproj_t + h_{t-1} wt), wt = W_hh^T (H, H); act tanh, or ReLU with `relu`.
    L, N, H = xproj.shape
    for step in range(L):
        t = L - 1 - step if reverse else step
        h_prev = h0 if step == 0 else out[t + 1 if reverse else t - 1]
        _sgemm(blas, N, H, H, h_prev.ctypes.data, wt.ctypes.data, out[t].ctypes.data)
        for b in range(N):
            o, x = out[t, b], xproj[t, b]
            if relu:
                for k in range(H):
                    v = o[k] + x[k]
                    o[k] = v if v > 0 or v != v else _F(0)
            else:
                for k in range(H):
                    o[k] = _tanh32(o[k] + x[k])


def _rnn_backward(blas, out, gh, w, reverse, relu, dh, dpre):
    # Back through time from gh (L, N, H): the pre-activations' gradients dpre, and dh carried
    # down to h0 (w = W_hh).
    L, N, H = out.shape
    for step in range(L):
        t = step if reverse else L - 1 - step
        for b in range(N):
            d, o, g, carried = dpre[t, b], out[t, b], gh[t, b], dh[b]
            if relu:
                for k in range(H):
                    d[k] = (carried[k] + g[k]) if o[k] > 0 else _F(0)
            else:
                for k in range(H):
                    d[k] = (carried[k] + g[k]) * (_ONE - o[k] * o[k])
        _sgemm(blas, N, H, H, dpre[t].ctypes.data, w.ctypes.data, dh.ctypes.data)


def rnn_forward(xproj, wt, h0, reverse, relu, out):
    """The RNN forward loop (_rnn_forward) on float32 C-contiguous arrays."""
    _loop(_rnn_forward, xproj, wt, h0, reverse, relu, out)


def rnn_backward(out, gh, w, reverse, relu, dh, dpre):
    """The RNN backward loop (_rnn_backward) on float32 C-contiguous arrays."""
    _loop(_rnn_backward, out, gh, w, reverse, relu, dh, dpre)
