"""brique.distributed in one process: the API's contract, the sampler against PyTorch's, the
hooks DistributedDataParallel builds on."""
import itertools

import numpy as np
import pytest

import brique
from brique import nn
from brique.utils.data import DataLoader, TensorDataset
from brique.utils.data.distributed import DistributedSampler

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("n,replicas,shuffle,drop_last", itertools.product(
    [0, 1, 7, 10, 33, 1000], [1, 2, 3, 4], [True, False], [True, False]))
def test_sampler_partitions_like_pytorch(n, replicas, shuffle, drop_last):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle, seed=3, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle, seed=3, drop_last=drop_last)
        for epoch in (0, 5):
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)
            assert len(ours) == len(theirs)


def test_sampler_in_a_dataloader_and_bad_rank():
    ds = TensorDataset(brique.arange(10))
    seen = [int(x) for r in range(2)
            for (batch,) in DataLoader(ds, batch_size=3, sampler=DistributedSampler(ds, 2, r))
            for x in batch]
    assert sorted(seen) == list(range(10))
    with pytest.raises(ValueError, match=r"Invalid rank 2.*\[0, 1\]"):
        DistributedSampler(ds, num_replicas=2, rank=2)


def test_uninitialised_group_says_so():
    import brique.distributed as dist
    if dist.is_initialized():
        pytest.skip("a group is already initialised in this process")
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(ValueError, match="unknown backend 'nccl'"):
        dist.init_process_group("nccl")


@pytest.fixture(scope="module")
def group():
    pytest.importorskip("mpi4py")
    import brique.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group("gloo")
    yield dist


def test_one_rank_collectives_and_errors(group):
    t = brique.tensor([1.0, -2.0])
    group.all_reduce(t, op=group.ReduceOp.MAX)
    assert t.tolist() == [1.0, -2.0]
    assert group.get_rank() == 0 and group.get_world_size() == 1
    work = group.all_reduce(t, async_op=True)
    assert work.wait() and work.is_completed()
    with pytest.raises(ValueError, match="unknown op"):
        group.all_reduce(t, op="mean")
    with pytest.raises(TypeError, match="expected a brique Tensor"):
        group.all_reduce(np.ones(2))
    with pytest.raises(ValueError, match="src=3"):
        group.broadcast(t, src=3)
    with pytest.raises(RuntimeError, match="twice"):
        group.init_process_group("mpi")


def test_ddp_keys_and_single_rank_gradients(group):
    brique.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ddp = nn.parallel.DistributedDataParallel(net)
    assert ddp.module is net
    assert list(ddp.state_dict()) == ["module." + k for k in net.state_dict()]
    x = brique.randn(5, 3)
    ddp(x).pow(2).sum().backward()
    want = [p.grad.numpy().copy() for p in net.parameters()]
    net.zero_grad()
    net(x).pow(2).sum().backward()
    for p, w in zip(net.parameters(), want):
        np.testing.assert_allclose(p.grad.numpy(), w, rtol=1e-6)
    with ddp.no_sync():
        assert not ddp.require_backward_grad_sync
    assert ddp.require_backward_grad_sync


def test_sync_batchnorm_is_batchnorm_in_one_process(group):
    brique.manual_seed(1)
    bn = nn.BatchNorm2d(3)
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(bn))[0]
    assert isinstance(sync, nn.SyncBatchNorm) and sync.weight is bn.weight
    x = brique.randn(4, 3, 2, 2)
    ref = nn.BatchNorm2d(3)
    np.testing.assert_allclose(sync(x).detach().numpy(), ref(x).detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(sync.running_var.numpy(), ref.running_var.numpy(), atol=1e-6)


def test_post_accumulate_grad_hook_and_queue_callback():
    from brique import autograd
    w = brique.ones(3, requires_grad=True)
    seen = []

    def hook(t):
        seen.append(t.grad.tolist())
        autograd.queue_callback(lambda: seen.append("end"))

    handle = w.register_post_accumulate_grad_hook(hook)
    (w * 2).sum().backward()
    (w * w).sum().backward()
    assert seen == [[2, 2, 2], "end", [4, 4, 4], "end"]
    handle.remove()
    (w * 2).sum().backward()
    assert len(seen) == 4
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(hook)
    with pytest.raises(RuntimeError, match="no backward pass"):
        autograd.queue_callback(lambda: None)


def test_differentiable_all_reduce_finite_differences(group):
    x = brique.randn(3, 2, dtype=brique.float64, requires_grad=True)
    f = lambda t: (group.all_reduce_differentiable(t) ** 2 * t).sum()  # noqa: E731
    (g,) = brique.grad(f(x), [x])
    eps, num = 1e-6, np.zeros((3, 2))
    for i in np.ndindex(3, 2):
        d = np.zeros((3, 2))
        d[i] = eps
        num[i] = (f(x.detach() + brique.tensor(d)).item()
                  - f(x.detach() - brique.tensor(d)).item()) / (2 * eps)
    np.testing.assert_allclose(g.numpy(), num, rtol=1e-7, atol=1e-9)
