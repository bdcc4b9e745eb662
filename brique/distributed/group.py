"""The default process group and the collectives on tensors (PyTorch's functions).

A `ProcessGroup` moves host arrays between processes; the functions here take tensors, stage
CUDA arrays through host memory (asked for through `backend`, never by importing CuPy) and write
results back in place. The engine behind a group is chosen by name in `_ENGINES`: "mpi" (and
"gloo", which PyTorch CPU programs pass) is MPI through mpi4py. A GPU engine (NCCL through
`cupy.cuda.nccl`) would be one more `ProcessGroup` subclass working on device arrays, with its
communicator's unique id broadcast over MPI at `init_process_group`: the tensor functions below
would hand it the device array instead of a host copy.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..tensor import Tensor


class ReduceOp:
    """How `all_reduce` combines the ranks' values."""
    SUM, AVG, PRODUCT, MIN, MAX = "sum", "avg", "product", "min", "max"
    ALL = (SUM, AVG, PRODUCT, MIN, MAX)


class Work:
    """The handle of an asynchronous collective: `wait()` blocks until it is done and the result
    is written back."""

    def __init__(self, wait=None):
        self._wait, self._done = wait, wait is None

    def wait(self, timeout=None):
        if not self._done:
            self._wait()
            self._done = True
        return True

    def is_completed(self):
        return self._done


class ProcessGroup:
    """What an engine implements, on contiguous host (NumPy) arrays, in place where it can.

    `iallreduce` starts a SUM reduction and returns a function that waits for it."""
    rank, size, name = 0, 1, "base"

    def allreduce(self, array, op):
        raise NotImplementedError

    def iallreduce(self, array):
        raise NotImplementedError

    def broadcast(self, array, src):
        raise NotImplementedError

    def allgather(self, array, out):
        raise NotImplementedError

    def reduce_scatter(self, array, out, op):
        raise NotImplementedError

    def allgather_object(self, obj):
        raise NotImplementedError

    def broadcast_object(self, obj, src):
        raise NotImplementedError

    def barrier(self):
        raise NotImplementedError

    def abort(self, code=1):
        raise SystemExit(code)


def _mpi_group(**kwargs):
    from .mpi import MPIGroup
    return MPIGroup(**kwargs)


_ENGINES = {"mpi": _mpi_group, "gloo": _mpi_group}
_default = None


def is_mpi_available():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_nccl_available():
    return False


is_available = is_mpi_available


def init_process_group(backend="mpi", init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the processes started by `mpiexec` into the default group. `world_size` and `rank`,
    when given, must agree with what the launcher says. A rank that ends with an uncaught
    exception takes the whole job down (no rank waits forever at its next collective)."""
    global _default
    if _default is not None:
        raise RuntimeError("trying to initialize the default process group twice")
    name = (backend or "mpi").lower()
    if name not in _ENGINES:
        raise ValueError(f"init_process_group: unknown backend {backend!r}; brique runs "
                         f"{sorted(_ENGINES)} (gloo means MPI here); NCCL is not available")
    group = _ENGINES[name](timeout=timeout)
    for what, given, actual in (("world_size", world_size, group.size), ("rank", rank, group.rank)):
        if given not in (-1, None) and int(given) != actual:
            raise ValueError(f"init_process_group: {what}={given} but the MPI launcher started "
                             f"this process with {what} {actual}")
    group.name = name
    _default = group
    return None


def _group(group=None):
    if group is not None:
        return group
    if _default is None:
        raise RuntimeError("Default process group has not been initialized, please make sure "
                           "to call init_process_group.")
    return _default


def is_initialized():
    return _default is not None


def get_rank(group=None):
    return _group(group).rank


def get_world_size(group=None):
    return _group(group).size


def rank_and_world_size():
    """(rank, number of ranks) of this process's default group; (0, 1) without one."""
    return (0, 1) if _default is None else (_default.rank, _default.size)


def get_backend(group=None):
    return _group(group).name


def destroy_process_group(group=None):
    global _default
    if group is None or group is _default:
        _default = None


def barrier(group=None, async_op=False, device_ids=None):
    _group(group).barrier()
    return Work() if async_op else None


# ---------------------------------------------------------------------- tensors <-> host arrays
def _check(tensor, op):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a brique Tensor, got {type(tensor).__name__}")


def _host(tensor):
    """A contiguous host array with the tensor's values: the tensor's own memory when it is a
    contiguous NumPy array (so results land in place), a copy otherwise."""
    data = tensor._data
    if isinstance(data, np.ndarray) and data.flags.c_contiguous:
        return data
    return np.ascontiguousarray(backend.to_numpy(data))


def _write_back(tensor, host):
    if host is not tensor._data:
        tensor._data[...] = backend.to_device(host, tensor.device)
    tensor._vc[0] += 1


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine `tensor` across ranks with `op`, in place on every rank."""
    _check(tensor, "all_reduce")
    if op not in ReduceOp.ALL:
        raise ValueError(f"all_reduce: unknown op {op!r}; expected one of ReduceOp.{{SUM, AVG, "
                         "PRODUCT, MIN, MAX}}")
    g = _group(group)
    host = _host(tensor)
    g.allreduce(host, op)
    _write_back(tensor, host)
    return Work() if async_op else None


def broadcast(tensor, src, group=None, async_op=False):
    """Copy rank `src`'s `tensor` into every rank's `tensor`."""
    _check(tensor, "broadcast")
    g = _group(group)
    if not 0 <= src < g.size:
        raise ValueError(f"broadcast: src={src} is not a rank of a group of {g.size}")
    host = _host(tensor)
    g.broadcast(host, src)
    _write_back(tensor, host)
    return Work() if async_op else None


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill `tensor_list[r]` with rank r's `tensor` (same shape on every rank)."""
    _check(tensor, "all_gather")
    g = _group(group)
    if len(tensor_list) != g.size:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors for a group of "
                         f"{g.size} ranks")
    for t in tensor_list:
        if tuple(t.shape) != tuple(tensor.shape):
            raise ValueError(f"all_gather: output of shape {tuple(t.shape)} for an input of "
                             f"shape {tuple(tensor.shape)}")
    out = np.empty((g.size,) + tuple(tensor.shape), dtype=tensor.dtype)
    g.allgather(_host(tensor), out)
    for t, part in zip(tensor_list, out):
        _write_back(t, np.ascontiguousarray(part))
    return Work() if async_op else None


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `input_list` (one tensor per rank) across ranks; rank r gets the r-th result."""
    _check(output, "reduce_scatter")
    g = _group(group)
    if len(input_list) != g.size or any(tuple(t.shape) != tuple(output.shape)
                                        for t in input_list):
        raise ValueError(f"reduce_scatter: expected {g.size} inputs of shape "
                         f"{tuple(output.shape)}, got shapes "
                         f"{[tuple(t.shape) for t in input_list]}")
    if op not in ReduceOp.ALL:
        raise ValueError(f"reduce_scatter: unknown op {op!r}")
    stacked = np.ascontiguousarray(np.stack([backend.to_numpy(t._data) for t in input_list]))
    out = _host(output)
    g.reduce_scatter(stacked, out, op)
    _write_back(output, out)
    return Work() if async_op else None


def all_gather_object(object_list, obj, group=None):
    """Small Python objects (pickled): `object_list[r]` = rank r's `obj`."""
    object_list[:] = _group(group).allgather_object(obj)


def broadcast_object_list(object_list, src=0, group=None):
    object_list[:] = _group(group).broadcast_object(list(object_list), src)
