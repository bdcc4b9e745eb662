"""Keras's Hashing layer, with TensorFlow's string hashes written out so that the bins are
Keras's: without a salt, `tf.strings.to_hash_bucket_fast` (FarmHash's Fingerprint64, the
farmhashna variant, of the UTF-8 bytes); with a salt, `to_hash_bucket_strong` (SipHash-2-4
keyed by the two salt words). Integers are hashed as their decimal text, as Keras does
(`tf.as_string`). Pure Python: about a microsecond per byte, for preprocessing-sized data.
"""
from __future__ import annotations

import struct

import numpy as np

from ..engine import Layer
from .preprocessing import ENCODINGS, check_mode, encode, encoded_shape, host, like

_M = (1 << 64) - 1
_K0, _K1, _K2 = 0xc3a5c85c97cb3127, 0xb492b66fbe98f273, 0x9ae16a3b2f90404f


def _u64(b, i):
    return struct.unpack_from("<Q", b, i)[0]


def _u32(b, i):
    return struct.unpack_from("<I", b, i)[0]


def _rot(v, s):  # rotate right
    return ((v >> s) | (v << (64 - s))) & _M if s else v


def _shift_mix(v):
    return v ^ (v >> 47)


def _len16(u, v, mul):
    a = ((u ^ v) * mul) & _M
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M
    b ^= b >> 47
    return (b * mul) & _M


def _len0to16(s, n):
    if n >= 8:
        mul = _K2 + n * 2
        a = (_u64(s, 0) + _K2) & _M
        b = _u64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M
        d = ((_rot(a, 25) + b) * mul) & _M
        return _len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        return _len16(n + (_u32(s, 0) << 3), _u32(s, n - 4), mul)
    if n > 0:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _M) * _K2) & _M
    return _K2


def _len17to32(s, n):
    mul = _K2 + n * 2
    a = (_u64(s, 0) * _K1) & _M
    b = _u64(s, 8)
    c = (_u64(s, n - 8) * mul) & _M
    d = (_u64(s, n - 16) * _K2) & _M
    return _len16((_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M,
                  (a + _rot((b + _K2) & _M, 18) + c) & _M, mul)


def _len33to64(s, n):
    mul = _K2 + n * 2
    a = (_u64(s, 0) * _K2) & _M
    b = _u64(s, 8)
    c = (_u64(s, n - 8) * mul) & _M
    d = (_u64(s, n - 16) * _K2) & _M
    y = (_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M
    z = _len16(y, (a + _rot((b + _K2) & _M, 18) + c) & _M, mul)
    e = (_u64(s, 16) * mul) & _M
    f = _u64(s, 24)
    g = ((y + _u64(s, n - 32)) * mul) & _M
    h = ((z + _u64(s, n - 24)) * mul) & _M
    return _len16((_rot((e + f) & _M, 43) + _rot(g, 30) + h) & _M,
                  (e + _rot((f + a) & _M, 18) + g) & _M, mul)


def _weak32(s, i, a, b):
    w, x, y, z = (_u64(s, i + 8 * j) for j in range(4))
    a = (a + w) & _M
    b = _rot((b + a + z) & _M, 21)
    c = a
    a = (a + x + y) & _M
    b = (b + _rot(a, 44)) & _M
    return (a + z) & _M, (b + c) & _M


def fingerprint64(s: bytes) -> int:
    """FarmHash Fingerprint64 (farmhashna::Hash64) of bytes, as TensorFlow computes it."""
    n = len(s)
    if n <= 16:
        return _len0to16(s, n)
    if n <= 32:
        return _len17to32(s, n)
    if n <= 64:
        return _len33to64(s, n)
    seed = 81
    x, y = seed, (seed * _K1 + 113) & _M
    z = (_shift_mix((y * _K2 + 113) & _M) * _K2) & _M
    v, w = (0, 0), (0, 0)
    x = (x * _K2 + _u64(s, 0)) & _M
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v[0] + _u64(s, i + 8)) & _M, 37) * _K1) & _M
        y = (_rot((y + v[1] + _u64(s, i + 48)) & _M, 42) * _K1) & _M
        x ^= w[1]
        y = (y + v[0] + _u64(s, i + 40)) & _M
        z = (_rot((z + w[0]) & _M, 33) * _K1) & _M
        v = _weak32(s, i, (v[1] * _K1) & _M, (x + w[0]) & _M)
        w = _weak32(s, i + 32, (z + w[1]) & _M, (y + _u64(s, i + 16)) & _M)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = _K1 + ((z & 0xff) << 1)
    i = last64
    w = ((w[0] + ((n - 1) & 63)) & _M, w[1])
    v = ((v[0] + w[0]) & _M, v[1])
    w = ((w[0] + v[0]) & _M, w[1])
    x = (_rot((x + y + v[0] + _u64(s, i + 8)) & _M, 37) * mul) & _M
    y = (_rot((y + v[1] + _u64(s, i + 48)) & _M, 42) * mul) & _M
    x ^= (w[1] * 9) & _M
    y = (y + v[0] * 9 + _u64(s, i + 40)) & _M
    z = (_rot((z + w[0]) & _M, 33) * mul) & _M
    v = _weak32(s, i, (v[1] * mul) & _M, (x + w[0]) & _M)
    w = _weak32(s, i + 32, (z + w[1]) & _M, (y + _u64(s, i + 16)) & _M)
    z, x = x, z
    return _len16((_len16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _M,
                  (_len16(v[1], w[1], mul) + x) & _M, mul)


def siphash(key0: int, key1: int, s: bytes) -> int:
    """SipHash-2-4 of bytes under the 128-bit key (key0, key1)."""
    v = [key0 ^ 0x736f6d6570736575, key1 ^ 0x646f72616e646f6d,
         key0 ^ 0x6c7967656e657261, key1 ^ 0x7465646279746573]

    def rounds(count):
        for _ in range(count):
            v[0] = (v[0] + v[1]) & _M
            v[1] = _rot(v[1], 51) ^ v[0]  # rotate left 13
            v[0] = _rot(v[0], 32)
            v[2] = (v[2] + v[3]) & _M
            v[3] = _rot(v[3], 48) ^ v[2]  # left 16
            v[0] = (v[0] + v[3]) & _M
            v[3] = _rot(v[3], 43) ^ v[0]  # left 21
            v[2] = (v[2] + v[1]) & _M
            v[1] = _rot(v[1], 47) ^ v[2]  # left 17
            v[2] = _rot(v[2], 32)
    n = len(s)
    tail = s[n - n % 8:] + bytes(7 - n % 8) + bytes([n & 0xff])
    for i in range(0, n - n % 8, 8):
        m = _u64(s, i)
        v[3] ^= m
        rounds(2)
        v[0] ^= m
    m = _u64(tail, 0)
    v[3] ^= m
    rounds(2)
    v[0] ^= m
    v[2] ^= 0xff
    rounds(4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def _text(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, (int, np.integer)):
        return str(int(value)).encode()
    return str(value).encode("utf-8")


class Hashing(Layer):
    """Strings or integers hashed into `num_bins` bins, as Keras (FarmHash without a salt,
    SipHash keyed by `salt`: an int or a pair of ints). With `mask_value`, that value goes to
    bin 0 and the others to bins 1..num_bins-1. output_mode 'int' (int64 bins), 'one_hot',
    'multi_hot' or 'count'.

    Shape: (N, ...) -> the same shape of bins ('int')."""
    accepts_strings = index_inputs = True

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        super().__init__(**kwargs)
        if not (isinstance(num_bins, (int, np.integer)) and num_bins > 0):
            raise ValueError(f"{self.name}: num_bins must be a positive int, got {num_bins!r}")
        if salt is not None and not (isinstance(salt, (int, np.integer)) or (
                isinstance(salt, (tuple, list)) and len(salt) == 2)):
            raise ValueError(f"{self.name}: salt must be an int or a pair of ints, got "
                             f"{salt!r}")
        if sparse:
            raise ValueError(f"{self.name}: sparse outputs are not supported by brique.keras")
        self.num_bins, self.mask_value = int(num_bins), mask_value
        self.salt = None if salt is None else \
            ([int(salt)] * 2 if isinstance(salt, (int, np.integer)) else [int(s) for s in salt])
        self.output_mode = check_mode(self.name, output_mode, ENCODINGS[:4])

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins,
                "mask_value": self.mask_value, "salt": self.salt,
                "output_mode": self.output_mode}

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.num_bins, self.output_mode)

    def output_dtype(self, input_dtype):
        return "int64" if self.output_mode == "int" else "float32"

    def bin(self, value):
        """The bin of one string or integer."""
        bins = self.num_bins - (self.mask_value is not None and self.num_bins > 1)
        if self.mask_value is not None and self.num_bins > 1 and value == self.mask_value:
            return 0
        b = _text(value)
        h = fingerprint64(b) if self.salt is None else siphash(*self.salt, b)
        return h % bins + (self.mask_value is not None and self.num_bins > 1)

    def forward(self, x):
        values = host(x)
        if values.dtype.kind not in "iuUSO":
            raise ValueError(f"{self.name}: expects strings or integers, got an array of "
                             f"dtype {values.dtype}")
        if values.dtype.kind in "iu":
            values = values.astype(np.int64)
        cache = {}
        ids = np.array([cache[v] if v in cache else cache.setdefault(v, self.bin(v))
                        for v in values.reshape(-1).tolist()], np.int64).reshape(values.shape)
        if self.output_mode == "int":
            return like(ids, x)
        return like(encode(ids, self.num_bins, self.output_mode, self.name), x)
