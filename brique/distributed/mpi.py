"""The MPI engine (mpi4py): buffers go to MPI as they are, never pickled.

Host-side code: it works on NumPy arrays that `group.py` prepared from tensors.
"""
from __future__ import annotations

import sys
import threading
import traceback

import numpy as np

from .group import ProcessGroup, ReduceOp

try:
    from mpi4py import MPI
except ImportError as e:  # pragma: no cover - the message is what matters
    raise ImportError("brique.distributed needs mpi4py and an MPI library: "
                      "pip install 'brique[distributed]' (mpi4py and the mpich wheel)") from e

_OPS = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
        ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}


class MPIGroup(ProcessGroup):
    """All the processes of `MPI.COMM_WORLD` (a duplicate, so user MPI traffic cannot mix with
    brique's)."""

    def __init__(self, comm=None, timeout=None):
        self.comm = (comm or MPI.COMM_WORLD).Dup()
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        if self.size > 1:
            _abort_on_uncaught_exception(self.comm)

    def allreduce(self, array, op):
        self.comm.Allreduce(MPI.IN_PLACE, array, op=_OPS[op])
        if op == ReduceOp.AVG:
            _divide(array, self.size)

    def iallreduce(self, array):
        request = self.comm.Iallreduce(MPI.IN_PLACE, array, op=MPI.SUM)
        return request.Wait

    def broadcast(self, array, src):
        self.comm.Bcast(array, root=src)

    def allgather(self, array, out):
        self.comm.Allgather(array, out)

    def reduce_scatter(self, array, out, op):
        self.comm.Reduce_scatter_block(array, out, op=_OPS[op])
        if op == ReduceOp.AVG:
            _divide(out, self.size)

    def allgather_object(self, obj):
        return self.comm.allgather(obj)

    def broadcast_object(self, obj, src):
        return self.comm.bcast(obj, root=src)

    def barrier(self):
        self.comm.Barrier()

    def abort(self, code=1):
        self.comm.Abort(code)


def _divide(array, n):
    if np.issubdtype(array.dtype, np.integer):
        np.floor_divide(array, n, out=array)
    else:
        array /= n


def _abort_on_uncaught_exception(comm):
    """An exception that ends one rank would leave the others waiting at their next collective:
    print it, then abort the whole job (mpiexec ends every rank)."""
    def hook(exc_type, exc, tb):
        traceback.print_exception(exc_type, exc, tb)
        sys.stderr.write(f"brique.distributed: rank {comm.Get_rank()} failed; aborting all "
                         "ranks\n")
        sys.stderr.flush()
        comm.Abort(1)

    def thread_hook(args):
        hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
