"""Keras 2's `keras.preprocessing.sequence`: pad_sequences (keras.utils.pad_sequences),
TimeseriesGenerator's successor timeseries_dataset_from_array, and skipgrams'
make_sampling_table."""
from __future__ import annotations

import numpy as np

from ..utils.data import pad_sequences, timeseries_dataset_from_array  # noqa: F401


def make_sampling_table(size, sampling_factor=1e-5):
    """p[i]: the probability of keeping the i-th most frequent word (Zipf's law estimate),
    as Keras computes it for skip-gram sampling."""
    gamma = 0.577
    rank = np.arange(size)
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1.0, f / np.sqrt(f))
