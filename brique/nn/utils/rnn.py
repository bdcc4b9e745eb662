"""Variable-length batches as in PyTorch: pad_sequence, pack_padded_sequence,
pad_packed_sequence, pack_sequence (and unpad_sequence, unpack_sequence).

A `PackedSequence` stores a batch of sequences time step by time step, longest first:
`data` (sum of lengths, *) holds, for t = 0, 1, ..., the t-th element of every sequence
still running at t; `batch_sizes[t]` says how many there are. `sorted_indices[b]` is the
batch index of the b-th longest sequence (None when the batch came sorted) and
`unsorted_indices` its inverse. RNN, LSTM and GRU take one and return one.

Every function here is made of differentiable indexing, so gradients flow back to the
padded or listed inputs.
"""
from __future__ import annotations

from collections import namedtuple

from ... import backend, creation
from ...ops.movement import cat, stack
from ...tensor import Tensor


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Shape: data (sum(lengths), *); batch_sizes (max length,) int64 on the CPU;
    sorted_indices, unsorted_indices (N,) int64 or None."""

    def __new__(cls, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def sizes(self):
        """batch_sizes as a list of Python ints."""
        return [int(b) for b in self.batch_sizes.tolist()]


def _invert(perm):
    order = [0] * len(perm)
    for i, p in enumerate(perm.tolist()):
        order[p] = i
    return creation.tensor(order, device=perm.device)


def _index(like, values):
    """An int64 index Tensor on `like`'s device."""
    xp = backend.get_array_module(like._data)
    return Tensor._make(xp.asarray(values, dtype=xp.int64).reshape(-1))


def _lengths_list(lengths):
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise ValueError(f"lengths must be 1-D, got shape {tuple(lengths.shape)}")
        lengths = lengths.tolist()
    return [int(n) for n in lengths]


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes (L_i, *) into one (L_max, N, *) ((N, L_max, *) with
    batch_first), filling the missing steps with `padding_value`."""
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got "
                         f"{padding_side!r}")
    rest = tuple(sequences[0].shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != rest:
            raise ValueError(f"pad_sequence: every sequence must have trailing shape {rest}, "
                             f"got {tuple(s.shape)}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = creation.full((missing,) + rest, padding_value, dtype=s.dtype,
                                 device=s.device)
            s = cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, N, *) ((N, T, *) with batch_first) whose sequence b has
    `lengths[b]` valid steps. With enforce_sorted=True the lengths must decrease; otherwise
    the batch is sorted here and the order kept in sorted_indices."""
    n = _lengths_list(lengths)
    x = input.transpose(0, 1) if batch_first else input
    T, N = x.shape[0], x.shape[1]
    if len(n) != N:
        raise ValueError(f"pack_padded_sequence: expected {N} lengths for a batch of {N}, got "
                         f"{len(n)}")
    if min(n) <= 0:
        raise ValueError("pack_padded_sequence: Length of all samples has to be greater than "
                         f"0, but found an element in 'lengths' that is <= 0: {n}")
    if max(n) > T:
        raise ValueError(f"pack_padded_sequence: a length {max(n)} exceeds the {T} padded "
                         f"steps of the input")
    if enforce_sorted:
        if any(a < b for a, b in zip(n, n[1:])):
            raise ValueError("`lengths` array must be sorted in decreasing order when "
                             "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                             "pack_padded_sequence and/or pack_sequence to sidestep this "
                             f"requirement if you do not need ONNX exportability. Got {n}")
        order, sorted_indices = list(range(N)), None
    else:
        order = sorted(range(N), key=lambda b: -n[b])  # stable: ties keep batch order
        sorted_indices = creation.tensor(order, device=x.device)
    ordered = [n[b] for b in order]
    batch_sizes = [sum(1 for m in ordered if m > t) for t in range(ordered[0])]
    rows = [t * N + order[b] for t, size in enumerate(batch_sizes) for b in range(size)]
    data = x.reshape(T * N, *x.shape[2:])[_index(x, rows)]
    return PackedSequence(data, creation.tensor(batch_sizes), sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of pack_padded_sequence: (padded (T, N, *) or (N, T, *), lengths (N,) int64),
    in the batch's original order; T = total_length if given, else the longest length."""
    data, sizes = sequence.data, sequence.sizes()
    T, N = len(sizes), sizes[0]
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T = total_length
    unsorted = (list(range(N)) if sequence.unsorted_indices is None
                else sequence.unsorted_indices.tolist())
    lengths_sorted = [sum(1 for s in sizes if s > b) for b in range(N)]
    offsets = [0]
    for s in sizes:
        offsets.append(offsets[-1] + s)
    pad_row = offsets[-1]
    rows = []
    for t in range(T):
        for j in range(N):
            b = unsorted[j]
            rows.append(offsets[t] + b if t < lengths_sorted[b] else pad_row)
    fill = creation.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                         device=data.device)
    padded = cat([data, fill], 0)[_index(data, rows)].reshape(T, N, *data.shape[1:])
    lengths = creation.tensor([lengths_sorted[unsorted[j]] for j in range(N)])
    return (padded.transpose(0, 1) if batch_first else padded), lengths


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors (L_i, *) (decreasing lengths unless enforce_sorted=False)."""
    sequences = list(sequences)
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences (L_i, *) inside a padded batch."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :n] for i, n in enumerate(_lengths_list(lengths))]


def unpack_sequence(packed_sequences):
    """The list of sequences (L_i, *) inside a PackedSequence, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
