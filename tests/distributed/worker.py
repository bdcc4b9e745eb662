"""Programs the MPI tests launch under `mpiexec -n 2` (and run in one process for reference).

    python worker.py SCENARIO OUT.npz    # writes rank 0's final weights to OUT.npz
"""
import sys

import numpy as np

import brique
import brique.distributed as dist
from brique import nn, optim
from brique.nn.parallel import DistributedDataParallel as DDP

STEPS, PER_RANK = 12, 8


def data(step, micro=0):
    """A global batch of 2 * PER_RANK examples, the same on every rank and in one process."""
    rng = np.random.default_rng(1000 * step + micro)
    return (brique.tensor(rng.normal(size=(2 * PER_RANK, 6))),
            brique.tensor(rng.integers(0, 3, 2 * PER_RANK)))


def model(norm=None):
    brique.manual_seed(7)
    layers = [nn.Linear(6, 8, dtype=brique.float64)]
    if norm is not None:
        layers.append(norm(8, dtype=brique.float64))
    layers += [nn.Tanh(), nn.Linear(8, 3, dtype=brique.float64)]
    return nn.Sequential(*layers)


def train(net, opt_name, accumulate, rank, world):
    """`world` ranks share each global batch; with `accumulate` = 2 each step adds the gradients
    of two micro-batches, the first without synchronising."""
    opt = (optim.SGD(net.parameters(), lr=0.1, momentum=0.9) if opt_name == "sgd"
           else optim.Adam(net.parameters(), lr=0.01))
    share = slice(rank * 2 * PER_RANK // world, (rank + 1) * 2 * PER_RANK // world)
    for step in range(STEPS):
        opt.zero_grad()
        for micro in range(accumulate):
            x, y = data(step, micro)
            sync = micro == accumulate - 1 or not isinstance(net, DDP)
            with (net.no_sync() if not sync else _nothing()):
                nn.functional.cross_entropy(net(x[share]), y[share]).backward()
        opt.step()
    return net


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def run(scenario, world):
    """Final parameters (and buffers) of a scenario, keyed as the plain model's state_dict."""
    opt_name, accumulate, norm = {"sgd": ("sgd", 1, None), "adam": ("adam", 1, None),
                                  "sgd-accumulate": ("sgd", 2, None),
                                  "adam-accumulate": ("adam", 2, None),
                                  "syncbn": ("sgd", 1, "sync")}[scenario]
    rank = dist.get_rank() if world > 1 else 0
    layer = None if norm is None else (nn.SyncBatchNorm if world > 1 else nn.BatchNorm1d)
    net = model(layer)
    if world > 1:
        net = DDP(net)
    train(net, opt_name, accumulate, rank, world)
    plain = net.module if world > 1 else net
    return {k: v.numpy() for k, v in plain.state_dict().items()}


def collectives(rank):
    """Every collective on rank-dependent values; returns what rank 0 ends up with."""
    out = {}
    for op in ("sum", "avg", "product", "min", "max"):
        t = brique.tensor([1.0 + rank, 5.0 - rank, 2.0])
        dist.all_reduce(t, op=op)
        out[op] = t.numpy()
    t = brique.arange(6).reshape(2, 3)[:, 1:] * (rank + 1)  # a non-contiguous int64 view
    dist.all_reduce(t)
    out["strided"] = t.numpy()
    t = brique.full((2,), float(rank))
    dist.broadcast(t, src=1)
    out["broadcast"] = t.numpy()
    parts = [brique.zeros(2) for _ in range(2)]
    dist.all_gather(parts, brique.full((2,), rank + 10.0))
    out["all_gather"] = np.stack([p.numpy() for p in parts])
    o = brique.zeros(3)
    dist.reduce_scatter(o, [brique.full((3,), 1.0 + rank), brique.full((3,), 10.0 * (rank + 1))])
    out["reduce_scatter"] = o.numpy()
    objs = [None, None]
    dist.all_gather_object(objs, {"rank": rank})
    out["objects"] = np.array([d["rank"] for d in objs])
    dist.barrier()
    return out


def main():
    scenario, out = sys.argv[1], sys.argv[2]
    if scenario == "raise":
        dist.init_process_group("mpi")
        if dist.get_rank() == 1:
            raise RuntimeError("rank 1 fails on purpose")
        dist.all_reduce(brique.ones(3))  # rank 0 would wait here forever without the abort
        return
    if scenario == "mismatch":
        dist.init_process_group("mpi")
        DDP(nn.Linear(4, 2 + dist.get_rank()))
        return
    dist.init_process_group("gloo")
    if scenario == "collectives":
        results = collectives(dist.get_rank())
        if dist.get_rank() == 0:
            np.savez(out, **results)
        return
    state = run(scenario, dist.get_world_size())
    if dist.get_rank() == 0:
        np.savez(out, **state)


if __name__ == "__main__":
    main()
