"""Complete programs written for PyTorch that lean on distributions, linalg, autograd.functional,
nn.utils parametrizations, Lazy and 3-D layers, swa_utils, RNG state and worker sharding: each
runs once with torch and once with `torch` pointed at brique, from the same weights and data, and
the two runs' losses and outputs are compared step by step."""
import builtins
import textwrap

import numpy as np
import pytest

import brique

torch = pytest.importorskip("torch")
from test_pytorch_programs import _as_brique  # noqa: E402  (import torch -> brique)


def run_both(source, then=None, **inputs):
    """Run `source` with torch, then with brique; `sync(module)` in the program hands torch's
    initial weights (state_dict) to the brique run, `then(torch scope)` gives the brique run
    more inputs (draws to replay). Returns (torch scope, brique scope)."""
    code = textwrap.dedent(source)
    saved = []

    def keep(module):
        saved.append({k: v.detach().numpy().copy() for k, v in module.state_dict().items()})
        return module

    torch.manual_seed(0)
    want = {"__name__": "program", "sync": keep, **inputs}
    exec(compile(code, "<torch program>", "exec"), want)
    states = iter(saved)

    def load(module):
        module.load_state_dict({k: brique.tensor(v) for k, v in next(states).items()})
        return module

    brique.manual_seed(0)
    got = {"__builtins__": dict(vars(builtins), __import__=_as_brique), "__name__": "program",
           "sync": load, **inputs, **(then(want) if then else {})}
    exec(compile(code, "<brique program>", "exec"), got)
    return want, got


def close(got, want, rtol=1e-4, atol=1e-5):
    as_array = (lambda v: np.asarray(v.detach().numpy() if hasattr(v, "detach") else v,
                                     dtype=np.float64))
    np.testing.assert_allclose(as_array(got), as_array(want), rtol=rtol, atol=atol)


VAE = """
    import numpy as np
    import torch
    from torch import nn
    import torch.nn.functional as F
    from torch.distributions import Normal, Independent, kl_divergence

    class VAE(nn.Module):
        def __init__(self, d=16, h=32, z=4):
            super().__init__()
            self.fc1 = nn.Linear(d, h)
            self.fc21, self.fc22 = nn.Linear(h, z), nn.Linear(h, z)
            self.fc3, self.fc4 = nn.Linear(z, h), nn.Linear(h, d)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def forward(self, x):
            mu, logvar = self.encode(x)
            q = Normal(mu, torch.exp(0.5 * logvar))
            z = q.rsample()
            return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), q

    def loss_function(recon_x, x, q):
        bce = F.binary_cross_entropy(recon_x, x, reduction="sum")
        prior = Normal(torch.zeros_like(q.loc), torch.ones_like(q.scale))
        kld = kl_divergence(q, prior).sum()
        return bce + kld, kld

    model = sync(VAE())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = torch.tensor(np.random.default_rng(0).random((32, 16), dtype=np.float32))
    losses, klds = [], []
    for step in range(8):
        optimizer.zero_grad()
        recon, q = model(x)
        loss, kld = loss_function(recon, x, q)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        klds.append(kld.item())
    with torch.no_grad():
        mu, logvar = model.encode(x)
        posterior = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
        log_px = posterior.log_prob(mu + 0.1).mean().item()
        entropy = posterior.entropy().mean().item()
"""


def test_vae_with_normal_rsample_and_kl(monkeypatch):
    # torch's reparameterisation noise is recorded and replayed in brique's rsample
    import torch.distributions.normal as torch_normal
    import brique.distributions.continuous as brique_continuous
    noise = []
    real = torch_normal._standard_normal

    def record(shape, dtype, device):
        eps = real(shape, dtype=dtype, device=device)
        noise.append(eps.numpy().copy())
        return eps

    def replay(like, shape, kind, **params):
        assert kind == "standard_normal" and tuple(shape) == noise[0].shape
        return brique.tensor(noise.pop(0))

    monkeypatch.setattr(torch_normal, "_standard_normal", record)
    monkeypatch.setattr(brique_continuous, "draw", replay)
    want, got = run_both(VAE)
    assert not noise
    close(got["losses"], want["losses"])
    close(got["klds"], want["klds"])
    close([got["log_px"], got["entropy"]], [want["log_px"], want["entropy"]])
    assert want["losses"][-1] < want["losses"][0]


REINFORCE = """
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.distributions import Categorical

    class Corridor:
        # walk from cell 0 to cell 4; -0.1 per step, +1 at the goal
        def reset(self):
            self.pos = 0
            return self.obs()

        def obs(self):
            return np.eye(5, dtype=np.float32)[self.pos]

        def step(self, action):
            self.pos = max(0, min(4, self.pos + (1 if action == 1 else -1)))
            done = self.pos == 4
            return self.obs(), (1.0 if done else -0.1), done

    class Policy(nn.Module):
        def __init__(self):
            super().__init__()
            self.affine1 = nn.Linear(5, 16)
            self.affine2 = nn.Linear(16, 2)

        def forward(self, x):
            return self.affine2(F.relu(self.affine1(x)))

    policy = sync(Policy())
    optimizer = torch.optim.Adam(policy.parameters(), lr=3e-2)
    env, gamma, eps = Corridor(), 0.9, np.finfo(np.float32).eps.item()
    taken = []
    episode_losses = []
    for episode in range(6):
        state, log_probs, entropies, rewards = env.reset(), [], [], []
        for t in range(12):
            m = Categorical(logits=policy(torch.from_numpy(state).unsqueeze(0)))
            action = m.sample()
            assert action.shape == (1,) and 0 <= action.item() <= 1
            if replay is not None:  # the other library's draws, to compare step by step
                action = torch.tensor([replay.pop(0)])
            taken.append(action.item())
            log_probs.append(m.log_prob(action))
            entropies.append(m.entropy())
            state, reward, done = env.step(action.item())
            rewards.append(reward)
            if done:
                break
        R, returns = 0, []
        for r in rewards[::-1]:
            R = r + gamma * R
            returns.insert(0, R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        policy_loss = [-lp * R for lp, R in zip(log_probs, returns)]
        loss = torch.cat(policy_loss).sum() - 0.01 * torch.cat(entropies).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        episode_losses.append(loss.item())
    probs = Categorical(logits=policy(torch.eye(5))).probs
"""


def test_reinforce_with_categorical():
    # brique's own draws are checked for shape and range; torch's actions are then replayed
    want, got = run_both(REINFORCE, then=lambda w: {"replay": list(w["taken"])}, replay=None)
    assert got["taken"] == want["taken"] and len(want["taken"]) > 6
    close(got["episode_losses"], want["episode_losses"])
    close(got["probs"], want["probs"])


TEXT_CLASSIFIER = """
    import numpy as np
    import torch
    from torch import nn
    from torch.utils.data import DataLoader

    rng = np.random.default_rng(0)
    train_iter = [(int(rng.integers(1, 5)), list(rng.integers(0, 50, rng.integers(3, 12))))
                  for _ in range(64)]
    label_pipeline = lambda x: int(x) - 1

    def collate_batch(batch):
        label_list, text_list, offsets = [], [], [0]
        for _label, _text in batch:
            label_list.append(label_pipeline(_label))
            processed_text = torch.tensor(_text, dtype=torch.int64)
            text_list.append(processed_text)
            offsets.append(processed_text.size(0))
        label_list = torch.tensor(label_list, dtype=torch.int64)
        offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
        text_list = torch.cat(text_list)
        return label_list, text_list, offsets

    class TextClassificationModel(nn.Module):
        def __init__(self, vocab_size, embed_dim, num_class):
            super(TextClassificationModel, self).__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
            self.fc = nn.Linear(embed_dim, num_class)
            self.init_weights()

        def init_weights(self):
            initrange = 0.5
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.fc.weight.data.uniform_(-initrange, initrange)
            self.fc.bias.data.zero_()

        def forward(self, text, offsets):
            embedded = self.embedding(text, offsets)
            return self.fc(embedded)

    model = sync(TextClassificationModel(50, 8, 4))
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
    dataloader = DataLoader(train_iter, batch_size=16, shuffle=False, collate_fn=collate_batch)
    losses, accs = [], []
    for epoch in range(2):
        model.train()
        total_acc, total_count = 0, 0
        for idx, (label, text, offsets) in enumerate(dataloader):
            optimizer.zero_grad()
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            losses.append(loss.item())
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
        accs.append(total_acc / total_count)
        scheduler.step()
    model.eval()
    with torch.no_grad():
        bag = nn.EmbeddingBag.from_pretrained(model.embedding.weight, mode="sum")
        padded = bag(torch.tensor([[1, 2, 3], [4, 4, 0]]), per_sample_weights=torch.tensor(
            [[1.0, 0.5, 2.0], [1.0, 1.0, 0.0]]))
        maxed = nn.functional.embedding_bag(torch.tensor([3, 1, 4, 1, 5]), model.embedding.weight,
                                            torch.tensor([0, 2]), mode="max")
"""


def test_text_classifier_with_embedding_bag():
    want, got = run_both(TEXT_CLASSIFIER)
    close(got["losses"], want["losses"])
    assert got["accs"] == want["accs"]
    close(got["padded"], want["padded"])
    close(got["maxed"], want["maxed"])


SPECTRAL_GAN = """
    import warnings
    import numpy as np
    import torch
    import torch.nn as nn
    from torch.nn.utils import spectral_norm, weight_norm
    from torch.nn.utils.parametrizations import spectral_norm as sn_param
    from torch.nn.utils.parametrizations import weight_norm as wn_param
    warnings.simplefilter("ignore")  # torch deprecates nn.utils.weight_norm

    class Generator(nn.Module):
        def __init__(self, nz=8):
            super().__init__()
            self.fc = weight_norm(nn.Linear(nz, 64))
            self.out = wn_param(nn.Linear(64, 64), dim=0)

        def forward(self, z):
            return torch.tanh(self.out(torch.relu(self.fc(z)))).view(-1, 1, 8, 8)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                spectral_norm(nn.Conv2d(1, 8, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
                sn_param(nn.Conv2d(8, 16, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
                nn.Flatten(), spectral_norm(nn.Linear(16 * 2 * 2, 1)))

        def forward(self, x):
            return self.main(x).view(-1)

    netG, netD = sync(Generator()), sync(Discriminator())
    criterion = nn.BCEWithLogitsLoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = np.random.default_rng(0)
    lossesD, lossesG = [], []
    for i in range(4):
        real = torch.tensor(rng.uniform(-1, 1, (8, 1, 8, 8)).astype(np.float32))
        noise = torch.tensor(rng.standard_normal((8, 8), dtype=np.float32))
        netD.zero_grad()
        errD_real = criterion(netD(real), torch.full((8,), 1.0))
        errD_real.backward()
        fake = netG(noise)
        errD_fake = criterion(netD(fake.detach()), torch.full((8,), 0.0))
        errD_fake.backward()
        optimizerD.step()
        netG.zero_grad()
        errG = criterion(netD(fake), torch.full((8,), 1.0))
        errG.backward()
        optimizerG.step()
        lossesD.append((errD_real + errD_fake).item())
        lossesG.append(errG.item())
    netD.eval()
    with torch.no_grad():
        scores = netD(real)
        sigma = torch.linalg.matrix_norm(netD.main[2].weight.flatten(1), ord=2).item()
    keys = sorted(netD.state_dict()) + sorted(netG.state_dict())
"""


def test_spectral_norm_gan_and_weight_norm():
    want, got = run_both(SPECTRAL_GAN)
    assert got["keys"] == want["keys"]
    close(got["lossesD"], want["lossesD"])
    close(got["lossesG"], want["lossesG"])
    close(got["scores"], want["scores"])
    close(got["sigma"], want["sigma"], rtol=1e-3)


LAZY = """
    import numpy as np
    import torch
    from torch import nn
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self, num_classes=3):
            super().__init__()
            self.conv1 = nn.LazyConv2d(6, 3)
            self.bn1 = nn.LazyBatchNorm2d()
            self.conv2 = nn.LazyConv2d(8, 3, padding=1)
            self.fc1 = nn.LazyLinear(16)
            self.fc2 = nn.LazyLinear(num_classes)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
            x = F.relu(self.conv2(x))
            return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))

    rng = np.random.default_rng(1)
    x = torch.tensor(rng.standard_normal((12, 2, 10, 10), dtype=np.float32))
    y = torch.tensor(rng.integers(0, 3, 12))
    model = Net()
    was_lazy = model.has_uninitialized_params() if hasattr(model, "has_uninitialized_params") \\
        else isinstance(model.fc1.weight, nn.parameter.UninitializedParameter)
    with torch.no_grad():
        model(x[:2])  # the dry run fixes every in_features / in_channels
    sync(model)
    kinds = [type(m).__name__ for m in model.modules()]
    shapes = [tuple(p.shape) for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    losses = []
    for step in range(5):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        out = model(x)
    # a fresh lazy model takes a checkpoint before any forward: the placeholders get its shapes
    restored = Net()
    restored.load_state_dict(model.state_dict())
    restored.eval()
    with torch.no_grad():
        same = torch.equal(restored(x), out)
    kinds_after = [type(m).__name__ for m in restored.modules()]
"""


def test_lazy_modules_then_an_optimizer():
    want, got = run_both(LAZY)
    assert got["kinds"] == want["kinds"] == ["Net", "Conv2d", "BatchNorm2d", "Conv2d", "Linear",
                                             "Linear"]
    assert got["shapes"] == want["shapes"] and got["was_lazy"] == want["was_lazy"]
    assert got["same"] and want["same"] and got["kinds_after"] == got["kinds"]
    close(got["losses"], want["losses"])
    close(got["out"], want["out"], atol=1e-4)


SWA = """
    import numpy as np
    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader, TensorDataset
    from torch.optim.swa_utils import AveragedModel, SWALR, update_bn, get_ema_multi_avg_fn

    rng = np.random.default_rng(2)
    x = torch.tensor(rng.standard_normal((64, 6), dtype=np.float32))
    y = torch.tensor((rng.standard_normal(64) > 0).astype(np.int64))
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    model = sync(nn.Sequential(nn.Linear(6, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Linear(12, 2)))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    swa_model = AveragedModel(model)
    ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    swa_start = 2
    swa_scheduler = SWALR(optimizer, swa_lr=0.05, anneal_epochs=2, anneal_strategy="cos")
    losses, lrs = [], []
    for epoch in range(6):
        for input, target in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(input), target)
            loss.backward()
            optimizer.step()
            ema_model.update_parameters(model)
            losses.append(loss.item())
        if epoch > swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    update_bn(loader, swa_model)
    swa_model.eval()
    ema_model.eval()
    with torch.no_grad():
        preds = swa_model(x)
        ema_preds = ema_model(x)
    n_averaged = swa_model.n_averaged.item()
    running_mean = swa_model.module[1].running_mean
    keys = list(swa_model.state_dict())
"""


def test_swa_averaged_model_swalr_and_update_bn():
    want, got = run_both(SWA)
    close(got["losses"], want["losses"])
    close(got["lrs"], want["lrs"], rtol=1e-6)
    assert got["n_averaged"] == want["n_averaged"] == 3 and got["keys"] == want["keys"]
    close(got["running_mean"], want["running_mean"])
    close(got["preds"], want["preds"], atol=1e-4)
    close(got["ema_preds"], want["ema_preds"], atol=1e-4)


AUTOGRAD_TOOLS = """
    import numpy as np
    import torch
    from torch.autograd import Function, gradcheck, gradgradcheck
    from torch.autograd.functional import jacobian, hessian, vjp, jvp, hvp, vhp

    class LinearFunction(Function):
        @staticmethod
        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    class BadSquare(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x  # the factor 2 is missing

    rng = np.random.default_rng(3)
    input = (torch.tensor(rng.standard_normal((5, 4))).double().requires_grad_(),
             torch.randn(3, 4, dtype=torch.double, requires_grad=True),
             torch.randn(3, dtype=torch.double, requires_grad=True))
    good = gradcheck(LinearFunction.apply, input, eps=1e-6, atol=1e-4)
    bad = gradcheck(BadSquare.apply, (input[2],), eps=1e-6, atol=1e-4, raise_exception=False)
    ggood = gradgradcheck(lambda x: (x.sin() * x).sum(), (input[0],))

    def energy(x):
        return (x.pow(3).sum(-1) + torch.logsumexp(x, dim=-1)).sum()

    def field(x, w):
        return torch.tanh(x @ w) * x[:, :1]

    x0 = torch.tensor(rng.standard_normal((2, 3)))
    w0 = torch.tensor(rng.standard_normal((3, 3)))
    v = torch.tensor(rng.standard_normal((2, 3)))
    J = jacobian(field, (x0, w0))
    J_vec = jacobian(lambda x: field(x, w0), x0, vectorize=True)
    H = hessian(energy, x0)
    out, vj = vjp(lambda x: field(x, w0), x0, v)
    _, jv = jvp(lambda x: field(x, w0), x0, v)
    _, hv = hvp(energy, x0, v)
    _, vh = vhp(energy, x0, v)
    H_graph = hessian(energy, x0, create_graph=True)
"""


def test_custom_function_gradcheck_and_autograd_functional():
    want, got = run_both(AUTOGRAD_TOOLS)
    assert got["good"] and want["good"] and not got["bad"] and not want["bad"]
    assert got["ggood"] and want["ggood"]
    for a, b in zip(got["J"], want["J"]):
        close(a, b, rtol=1e-10)
    for name in ("J_vec", "H", "out", "vj", "jv", "hv", "vh"):
        close(got[name], want[name], rtol=1e-10, atol=1e-12)
    assert tuple(got["H"].shape) == (2, 3, 2, 3) and got["H_graph"].requires_grad


RESUME = """
    import io
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(0)
    x, y = torch.randn(32, 8), torch.randint(0, 3, (32,))
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    def train(steps):
        model.train()
        losses = []
        for _ in range(steps):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    train(2)
    buffer = io.BytesIO()
    torch.save({"epoch": 2, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(),
                "rng_state": torch.get_rng_state()}, buffer)
    first = train(4)
    buffer.seek(0)
    checkpoint = torch.load(buffer)
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    torch.set_rng_state(checkpoint["rng_state"])
    second = train(4)
    state_kind = (checkpoint["rng_state"].dtype, checkpoint["rng_state"].dim())

    torch.manual_seed(5)
    a = torch.rand(3)
    torch.manual_seed(5)
    with torch.random.fork_rng():
        torch.manual_seed(123)
        noise = torch.randn(10)
    b = torch.rand(3)
    seed = torch.initial_seed()
    g = torch.Generator().manual_seed(7)
    saved = g.get_state()
    c = torch.rand(4, generator=g)
    g.set_state(saved)
    d = torch.rand(4, generator=g)
"""


def test_checkpoint_resume_with_rng_state_reproduces_dropout():
    # each library against itself: restored weights, optimizer and RNG give the same losses
    want, got = run_both(RESUME)
    for g in (want, got):
        assert g["first"] == g["second"] and g["first"][0] != g["first"][-1]
        assert g["seed"] == 5 and g["a"].tolist() == g["b"].tolist()
        assert g["c"].tolist() == g["d"].tolist()
    assert str(got["state_kind"][0]).endswith("uint8") and got["state_kind"] == (brique.uint8, 1)


LINALG = """
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    rng = np.random.default_rng(4)
    mix = rng.standard_normal((4, 4)).astype(np.float32)
    X = torch.tensor(rng.standard_normal((200, 4), dtype=np.float32) @ mix + 1.0)

    # ZCA whitening with eigh, checked against the SVD
    Xc = X - X.mean(0)
    cov = Xc.T @ Xc / (X.shape[0] - 1)
    evals, evecs = torch.linalg.eigh(cov)
    W_zca = evecs @ torch.diag(1.0 / torch.sqrt(evals + 1e-5)) @ evecs.T
    Xw = Xc @ W_zca
    white_cov = Xw.T @ Xw / (X.shape[0] - 1)
    U, S, Vh = torch.linalg.svd(Xc, full_matrices=False)
    svd_evals = (S ** 2 / (X.shape[0] - 1)).flip(0)

    # least squares by lstsq, by the normal equations with cholesky_solve, and by pinv
    A, b = X[:, :3], X[:, 3:]
    sol = torch.linalg.lstsq(A, b).solution
    L = torch.linalg.cholesky(A.T @ A)
    sol_chol = torch.cholesky_solve(A.T @ b, L)
    sol_pinv = torch.linalg.pinv(A) @ b

    class Gaussian(nn.Module):
        # a full-covariance Gaussian fitted by maximum likelihood through a Cholesky factor
        def __init__(self, d):
            super().__init__()
            self.mu = nn.Parameter(torch.zeros(d))
            self.raw = nn.Parameter(torch.eye(d))

        def forward(self, x):
            cov = self.raw @ self.raw.mT + 1e-3 * torch.eye(self.raw.shape[0])
            L = torch.linalg.cholesky(cov)
            z = torch.linalg.solve_triangular(L, (x - self.mu).T, upper=False)
            logdet = 2 * L.diagonal().log().sum()
            return 0.5 * (z.pow(2).sum(0).mean() + logdet)

    class Ridge(nn.Module):
        # the ridge penalty learnt by gradient through the closed-form solution
        def __init__(self):
            super().__init__()
            self.log_lam = nn.Parameter(torch.tensor(0.0))

        def forward(self, xtr, ytr, xva, yva):
            eye = torch.eye(xtr.shape[1])
            w = torch.linalg.solve(xtr.T @ xtr + self.log_lam.exp() * eye, xtr.T @ ytr)
            return F.mse_loss(xva @ w, yva)

    gauss, ridge = sync(Gaussian(4)), sync(Ridge())
    W = nn.Parameter(torch.tensor(rng.standard_normal((4, 4), dtype=np.float32)))
    opt = torch.optim.Adam([*gauss.parameters(), *ridge.parameters(), W], lr=0.05)
    nll, val, nuclear = [], [], []
    for step in range(10):
        opt.zero_grad()
        l1 = gauss(X)
        l2 = ridge(A[:150], b[:150], A[150:], b[150:])
        l3 = torch.linalg.svdvals(W).sum() + (torch.linalg.det(W) - 1) ** 2 + \\
            torch.linalg.matrix_norm(torch.linalg.inv(W @ W.T + torch.eye(4)))
        (l1 + l2 + 0.1 * l3).backward()
        opt.step()
        nll.append(l1.item())
        val.append(l2.item())
        nuclear.append(l3.item())
    sign, logabsdet = torch.linalg.slogdet(gauss.raw.detach())
"""


def test_linalg_whitening_least_squares_and_likelihood():
    want, got = run_both(LINALG)
    close(got["white_cov"], np.eye(4), atol=1e-3)
    close(got["evals"], want["evals"], rtol=1e-4)
    close(got["svd_evals"], got["evals"], rtol=1e-3)
    close(got["S"], want["S"], rtol=1e-4)
    for name in ("sol", "sol_chol", "sol_pinv"):
        close(got[name], want["sol"], rtol=1e-3, atol=1e-4)
    close(got["nll"], want["nll"], rtol=1e-4)
    close(got["val"], want["val"], rtol=1e-4)
    close(got["nuclear"], want["nuclear"], rtol=1e-4)
    close([got["sign"], got["logabsdet"]], [want["sign"], want["logabsdet"]], rtol=1e-4)


VOLUMES = """
    import math
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, IterableDataset, get_worker_info

    class ScanStream(IterableDataset):
        # the torch.utils.data docs' sharding: each worker reads its own slice of the range
        def __init__(self, start, end):
            super().__init__()
            assert end > start, "this example code only works with end >= start"
            self.start, self.end = start, end

        def __iter__(self):
            worker_info = get_worker_info()
            if worker_info is None:  # single-process data loading, return the full iterator
                iter_start, iter_end = self.start, self.end
            else:  # in a worker process: split workload
                per_worker = int(math.ceil((self.end - self.start)
                                           / float(worker_info.num_workers)))
                worker_id = worker_info.id
                iter_start = self.start + worker_id * per_worker
                iter_end = min(iter_start + per_worker, self.end)
            return iter(range(iter_start, iter_end))

    ds = ScanStream(3, 11)
    single = [int(i) for i in DataLoader(ds, num_workers=0)]
    sharded = [int(i) for i in DataLoader(ds, num_workers=2)]
    batched = [b.tolist() for b in DataLoader(ds, batch_size=2, num_workers=2)]

    class Net3d(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv3d(1, 4, kernel_size=3, padding=1)
            self.bn1 = nn.BatchNorm3d(4)
            self.pool = nn.MaxPool3d(2)
            self.conv2 = nn.Conv3d(4, 6, kernel_size=(1, 3, 3), stride=(1, 2, 2), bias=False)
            self.head = nn.Linear(6, 2)

        def forward(self, x):
            x = self.pool(F.relu(self.bn1(self.conv1(x))))
            x = F.avg_pool3d(F.relu(self.conv2(x)), kernel_size=(2, 1, 1))
            return self.head(F.adaptive_avg_pool3d(x, 1).flatten(1))

    rng = np.random.default_rng(5)
    scans = torch.tensor(rng.standard_normal((12, 1, 4, 6, 6), dtype=np.float32))
    labels = torch.tensor(rng.integers(0, 2, 12))
    model = sync(Net3d())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    losses = []
    for epoch in range(2):
        for idx in DataLoader(ScanStream(0, 12), batch_size=4, num_workers=2):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(scans[idx]), labels[idx])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        out = model(scans)
        unpooled = F.max_unpool3d(*F.max_pool3d(scans[:2], 2, return_indices=True), 2)
"""


def test_conv3d_net_fed_by_a_sharded_iterable_dataset():
    want, got = run_both(VOLUMES)
    for name in ("single", "sharded", "batched"):
        assert got[name] == want[name], name
    assert sorted(got["sharded"]) == got["single"] == list(range(3, 11))
    close(got["losses"], want["losses"])
    close(got["out"], want["out"], atol=1e-4)
    close(got["unpooled"], want["unpooled"])


MIXTURE = """
    import math
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.distributions import (Beta, Categorical, Dirichlet, MixtureSameFamily,
                                     MultivariateNormal, Normal, Poisson)

    class MDN(nn.Module):
        # a mixture density network: K full-covariance Gaussians over 2-D targets
        def __init__(self, k=3):
            super().__init__()
            self.k = k
            self.hidden = nn.Sequential(nn.Linear(1, 24), nn.Tanh())
            self.pi, self.mu = nn.Linear(24, k), nn.Linear(24, 2 * k)
            self.tril = nn.Linear(24, 3 * k)

        def forward(self, x):
            h = self.hidden(x)
            raw = self.tril(h).view(-1, self.k, 3)
            diag = F.softplus(raw[..., :2]) + 1e-3
            scale_tril = torch.diag_embed(diag)
            scale_tril[..., 1, 0] = raw[..., 2]
            comp = MultivariateNormal(self.mu(h).view(-1, self.k, 2), scale_tril=scale_tril)
            return Categorical(logits=self.pi(h)), comp

    def mdn_loss(mix, comp, y):
        log_probs = comp.log_prob(y.unsqueeze(1)) + torch.log_softmax(mix.logits, dim=-1)
        return -torch.logsumexp(log_probs, dim=-1).mean()

    rng = np.random.default_rng(6)
    x = torch.tensor(rng.uniform(-1, 1, (64, 1)).astype(np.float32))
    y = torch.cat([torch.sin(3 * x), x ** 2], 1) + 0.05 * torch.tensor(
        rng.standard_normal((64, 2), dtype=np.float32))
    mdn = sync(MDN())
    opt = torch.optim.Adafactor(mdn.parameters(), lr=0.02)
    losses = []
    for step in range(6):
        opt.zero_grad()
        mix, comp = mdn(x)
        loss = mdn_loss(mix, comp, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        mix, comp = mdn(x[:4])
        gmm = MixtureSameFamily(mix, comp)
        stats = [comp.mean, comp.variance, comp.entropy(), mix.entropy(), mix.probs, gmm.mean,
                 gmm.variance, gmm.log_prob(y[:4]), -mdn_loss(mix, comp, y[:4])]
        gmm_draws = gmm.sample((3,)).shape

    # a Poisson GLM on counts, and the squashed Gaussian policy of soft actor-critic
    counts = torch.tensor(rng.poisson(3.0, (64,)).astype(np.float32))
    glm = sync(nn.Linear(1, 1))
    glm_opt = torch.optim.SGD(glm.parameters(), lr=0.05)
    policy = sync(nn.Linear(1, 4))
    policy_opt = torch.optim.Adam(policy.parameters(), lr=0.01)
    glm_losses, sac_losses = [], []
    for step in range(5):
        glm_opt.zero_grad()
        nll = -Poisson(glm(x).squeeze(1).exp()).log_prob(counts).mean()
        nll.backward()
        glm_opt.step()
        glm_losses.append(nll.item())
        policy_opt.zero_grad()
        mean, log_std = policy(x).chunk(2, dim=-1)
        normal = Normal(mean, log_std.clamp(-20, 2).exp())
        x_t = normal.loc + 0.5 * normal.scale  # a fixed draw: rsample's noise is not shared
        y_t = torch.tanh(x_t)
        log_prob = (normal.log_prob(x_t) - torch.log(1 - y_t.pow(2) + 1e-6)).sum(1)
        sac = (0.2 * log_prob - y_t.sum(1)).mean()
        sac.backward()
        policy_opt.step()
        sac_losses.append(sac.item())
    with torch.no_grad():
        a, b = torch.tensor([0.5, 2.0, 3.0]), torch.tensor([0.5, 1.0, 4.0])
        beta = Beta(a, b)
        simplex = Dirichlet(torch.tensor([1.0, 2.0, 3.0]))
        more = [beta.log_prob(torch.tensor([0.2, 0.5, 0.9])), beta.entropy(), beta.mean,
                simplex.log_prob(torch.tensor([0.2, 0.3, 0.5])), simplex.entropy(),
                torch.special.digamma(a), torch.lgamma(b), torch.special.xlogy(a, b),
                torch.special.erfinv(torch.tensor([-0.5, 0.0, 0.9])), torch.special.i0e(b)]
"""


def test_mixture_density_network_poisson_glm_and_squashed_policy():
    want, got = run_both(MIXTURE)
    close(got["losses"], want["losses"])
    close(got["glm_losses"], want["glm_losses"])
    close(got["sac_losses"], want["sac_losses"])
    for a, b in zip(got["stats"] + got["more"], want["stats"] + want["more"]):
        close(a, b, atol=1e-4)
    close(got["stats"][-2].mean(), got["stats"][-1], atol=1e-5)
    assert tuple(got["gmm_draws"]) == tuple(want["gmm_draws"]) == (3, 4, 2)


PARAMETRIZE = """
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.utils.parametrize as P
    from torch.nn.utils.parametrizations import orthogonal
    from torch.nn.utils import fuse_conv_bn_eval

    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    class MatrixExponential(nn.Module):
        def forward(self, X):
            return torch.matrix_exp(X)

    class Skew(nn.Module):
        def forward(self, X):
            A = X.triu(1)
            return A - A.transpose(-1, -2)

    layer = nn.Linear(4, 4)
    P.register_parametrization(layer, "weight", Symmetric())
    rot = nn.Linear(4, 4, bias=False)
    P.register_parametrization(rot, "weight", Skew())
    P.register_parametrization(rot, "weight", MatrixExponential())
    q = orthogonal(nn.Linear(4, 4))
    model = sync(nn.Sequential(layer, nn.Tanh(), rot, q))
    names = sorted(model.state_dict())
    symmetric = torch.allclose(layer.weight, layer.weight.T)
    rng = np.random.default_rng(7)
    x = torch.tensor(rng.standard_normal((16, 4), dtype=np.float32))
    target = torch.tensor(rng.standard_normal((16, 4), dtype=np.float32))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for step in range(5):
        opt.zero_grad()
        with P.cached():
            loss = nn.functional.mse_loss(model(x), target) + layer.weight.abs().mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    orth = (rot.weight @ rot.weight.T - torch.eye(4)).abs().max().item()
    q_orth = (q.weight @ q.weight.T - torch.eye(4)).abs().max().item()
    kinds = (P.is_parametrized(layer), P.is_parametrized(layer, "bias"),
             P.type_before_parametrizations(layer).__name__)
    before = model(x).detach()
    P.remove_parametrizations(layer, "weight", leave_parametrized=True)
    after = model(x).detach()
    plain = (P.is_parametrized(layer), type(layer.weight).__name__)

    conv, bn = nn.Conv2d(3, 5, 3, padding=1), nn.BatchNorm2d(5)
    sync(conv)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.uniform_(0.5, 1.5)
    sync(bn)
    conv.eval()
    bn.eval()
    images = torch.tensor(rng.standard_normal((2, 3, 6, 6), dtype=np.float32))
    fused = fuse_conv_bn_eval(conv, bn)
    fused_out, unfused_out = fused(images), bn(conv(images))
"""


def test_parametrizations_tutorial_and_conv_bn_fusion():
    want, got = run_both(PARAMETRIZE)
    assert got["names"] == want["names"] and got["symmetric"] and want["symmetric"]
    close(got["losses"], want["losses"])
    assert got["orth"] < 1e-5 and got["q_orth"] < 1e-5
    assert got["kinds"] == want["kinds"] == (True, False, "Linear")
    assert got["plain"] == want["plain"] == (False, "Parameter")
    close(got["after"], got["before"])
    close(got["after"], want["after"])
    close(got["fused_out"], got["unfused_out"], atol=1e-5)
    close(got["fused_out"], want["fused_out"], atol=1e-5)


GRAPH = """
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class MeanConv(nn.Module):
        # message passing as torch_geometric writes it without the library: gather the source
        # features along the edges, then reduce them onto the targets
        def __init__(self, d_in, d_out):
            super().__init__()
            self.lin_self, self.lin_nbr = nn.Linear(d_in, d_out), nn.Linear(d_in, d_out)

        def forward(self, x, edge_index):
            src, dst = edge_index
            messages = self.lin_nbr(x)[src]
            agg = torch.zeros(x.size(0), messages.size(1)).scatter_reduce(
                0, dst.unsqueeze(1).expand_as(messages), messages, reduce="mean",
                include_self=False)
            biggest = torch.full_like(agg, -1e4).scatter_reduce(
                0, dst.unsqueeze(1).expand_as(messages), messages, reduce="amax")
            degree = torch.zeros(x.size(0)).index_add_(0, dst, torch.ones(dst.numel()))
            return self.lin_self(x) + agg + 0.1 * biggest.clamp(min=0) * (degree > 0).unsqueeze(1)

    class GNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = MeanConv(3, 16), MeanConv(16, 2)
            self.pool = nn.LPPool1d(2, kernel_size=2)

        def forward(self, x, edge_index):
            h = F.relu(self.conv1(x, edge_index))
            h = self.pool(h.unsqueeze(0)).squeeze(0).repeat_interleave(2, dim=1)
            return self.conv2(h, edge_index)

    rng = np.random.default_rng(8)
    n = 20
    x = torch.tensor(rng.standard_normal((n, 3), dtype=np.float32))
    edge_index = torch.tensor(rng.integers(0, n, (2, 60)))
    y = torch.tensor(rng.integers(0, 2, n))
    model = sync(GNN())
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    losses = []
    for epoch in range(6):
        optimizer.zero_grad()
        out = model(x, edge_index)
        loss = F.cross_entropy(out, y)
        # a robust extra term: push the margins under their median up
        margin = out.gather(1, y.unsqueeze(1)).squeeze(1) - out.logsumexp(1)
        loss = loss - 0.1 * margin[margin < torch.quantile(margin, 0.5)].mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        score = model(x, edge_index)[:, 1] - model(x, edge_index)[:, 0]
        edges = torch.quantile(score, torch.tensor([0.25, 0.5, 0.75]))
        bucket = torch.bucketize(score, edges)
        sorted_score, _ = score.sort()
        pos = torch.searchsorted(sorted_score, torch.tensor([-0.1, 0.0, 0.1]), right=True)
        kth, kth_idx = score.kthvalue(3)
        nanmed = torch.nanmedian(torch.where(score > 0, score, float("nan")))
        hist = torch.histc(score, bins=4, min=-1, max=1)
        per_node = torch.bincount(edge_index[1], minlength=n)
        counts = torch.unique(bucket, return_counts=True)[1]
        cum = torch.cummax(score, 0)[0], torch.logcumsumexp(score, 0)
"""


def test_graph_net_with_scatter_reduce_and_statistics():
    want, got = run_both(GRAPH)
    close(got["losses"], want["losses"])
    for name in ("score", "edges", "bucket", "pos", "kth", "kth_idx", "nanmed", "hist",
                 "per_node", "counts"):
        close(got[name], want[name], atol=1e-4)
    for a, b in zip(got["cum"], want["cum"]):
        close(a, b, atol=1e-4)


METRIC = """
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.testing import assert_close

    class EmbeddingNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.convnet = nn.Sequential(nn.Conv2d(1, 4, 3), nn.PReLU(), nn.MaxPool2d(2))
            self.fc = nn.Sequential(nn.Linear(4 * 3 * 3, 16), nn.PReLU(), nn.Linear(16, 4))

        def forward(self, x):
            output = self.convnet(x)
            output = output.view(output.size()[0], -1)
            return self.fc(output)

    rng = np.random.default_rng(9)
    images = torch.FloatTensor(rng.standard_normal((24, 1, 8, 8)).astype(np.float32))
    labels = torch.LongTensor(rng.integers(0, 3, 24).tolist())
    net = sync(EmbeddingNet())
    head = sync(nn.Linear(4, 3))
    triplet = nn.TripletMarginLoss(margin=1.0, p=2)
    cosine_triplet = nn.TripletMarginWithDistanceLoss(
        distance_function=lambda a, b: 1.0 - F.cosine_similarity(a, b), margin=0.5)
    multi_margin = nn.MultiMarginLoss(margin=1.0)
    ranking = nn.MarginRankingLoss(margin=0.2)
    optimizer = torch.optim.Adam(list(net.parameters()) + list(head.parameters()), lr=1e-2)
    anchor, positive, negative = torch.arange(0, 8), torch.arange(8, 16), torch.arange(16, 24)
    losses = []
    for step in range(5):
        optimizer.zero_grad()
        emb = net(images)
        ea, ep, en = emb[anchor], emb[positive], emb[negative]
        loss = triplet(ea, ep, en) + cosine_triplet(ea, ep, en) \\
            + multi_margin(head(emb), labels) \\
            + ranking(ea.norm(dim=1), en.norm(dim=1), torch.ones(8)) \\
            + F.multilabel_margin_loss(head(emb[:4]), torch.LongTensor([[0, 1, -1], [2, -1, 0],
                                                                        [1, 2, 0], [0, -1, 1]]))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    net.eval()
    with torch.no_grad():
        emb = net(images)
    distances = torch.cdist(emb, emb)
    assert_close(distances, distances.T, rtol=1e-5, atol=1e-5)
    kinds = [type(t).__name__ for t in (images, labels)] + [images.type(), labels.type(),
                                                            emb.double().type()]
    half = torch.HalfTensor([1.5, 2.0])
    mistake = None
    try:
        assert_close(emb, emb + 1e-2)
    except AssertionError as e:
        mistake = str(e)
"""


def test_metric_learning_with_margin_losses_and_legacy_types():
    want, got = run_both(METRIC)
    close(got["losses"], want["losses"])
    close(got["distances"], want["distances"], atol=1e-4)
    assert got["kinds"][2:] == want["kinds"][2:] == ["torch.FloatTensor", "torch.LongTensor",
                                                     "torch.DoubleTensor"]
    assert got["half"].dtype == brique.float16 and got["mistake"] and "mismatch" in \
        got["mistake"].lower()


def test_regressions_found_by_these_programs():
    F = brique.nn.functional
    # StepLR takes a float step_size (the text-classification tutorial's 1.0), not a string
    opt = brique.optim.SGD([brique.zeros(1, requires_grad=True)], lr=1.0)
    sched = brique.optim.lr_scheduler.StepLR(opt, 1.0, gamma=0.1)
    opt.step()
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.1])
    with pytest.raises(ValueError, match="step_size"):
        brique.optim.lr_scheduler.StepLR(opt, "2")
    assert brique.nn.parameter.UninitializedParameter is brique.nn.UninitializedParameter
    # generator= is honoured by every random factory, not silently ignored
    g = brique.Generator().manual_seed(3)
    draws = (lambda: [brique.rand(2, generator=g), brique.randn(2, generator=g),
                      brique.randint(0, 9, (3,), generator=g), brique.randperm(5, generator=g),
                      brique.normal(0.0, 1.0, (2,), generator=g),
                      brique.bernoulli(brique.full((4,), 0.5), generator=g),
                      brique.multinomial(brique.ones(4), 2, generator=g),
                      brique.empty(3).uniform_(generator=g), brique.empty(3).normal_(generator=g)])
    first = draws()
    g.manual_seed(3)
    brique.manual_seed(11)  # the global state plays no part
    assert [t.tolist() for t in draws()] == [t.tolist() for t in first]
    with pytest.raises(TypeError, match="generator"):
        brique.rand(2, generator=3)
    # diag_embed gives a new tensor that can be written into inside a graph
    d = brique.diag_embed(brique.ones(2, 3, requires_grad=True) * 2)
    d[..., 1, 0] = 5.0
    assert d.sum().item() == 2 * (6 + 5)
    # a mask, not a product: NaN/inf gradients stop at ReLU's zeros and at sign/round
    x = brique.tensor([0.0, 0.0, 1.0, 2.0], requires_grad=True)
    F.lp_pool1d(F.relu(x).view(1, 1, 4), 2, 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0, 0.4472136, 0.8944272], rtol=1e-6)
    for op in (brique.sign, brique.round, brique.floor):
        x = brique.tensor([0.0, 1.0], requires_grad=True)
        op(x).backward(brique.tensor([float("inf"), float("nan")]))
        assert x.grad.tolist() == [0.0, 0.0]
    # max_unpool3d / MaxUnpool3d against torch
    v = np.random.default_rng(0).standard_normal((2, 3, 4, 6, 5)).astype(np.float32)
    t_out, t_idx = torch.nn.functional.max_pool3d(torch.tensor(v), (2, 3, 2), (1, 2, 2),
                                                  (1, 1, 0), return_indices=True)
    b_out, b_idx = F.max_pool3d(brique.tensor(v), (2, 3, 2), (1, 2, 2), (1, 1, 0),
                                return_indices=True)
    want = torch.nn.MaxUnpool3d((2, 3, 2), (1, 2, 2), (1, 1, 0))(t_out, t_idx, v.shape)
    got = brique.nn.MaxUnpool3d((2, 3, 2), (1, 2, 2), (1, 1, 0))(b_out, b_idx, v.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    with pytest.raises(ValueError, match="max_unpool3d: found an index out of range"):
        F.max_unpool3d(b_out, b_idx, (2, 3, 2), (1, 2, 2), (1, 1, 0))
    with pytest.raises(ValueError, match="max_unpool3d: expected"):
        F.max_unpool3d(b_out, b_idx[..., :1], 2)
    # conv_transpose3d names its bad arguments
    w3 = brique.zeros(2, 3, 2, 2, 2)
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose3d(brique.zeros(1, 2, 3, 3, 3), w3, stride=1, output_padding=1)
    with pytest.raises(ValueError, match="conv_transpose3d"):
        F.conv_transpose3d(brique.zeros(1, 2, 3, 3), w3)
    with pytest.raises(ValueError, match="stride"):
        F.conv_transpose3d(brique.zeros(1, 2, 3, 3, 3), w3, stride=0)
    # MixtureSameFamily samples follow the mixture; bad arguments are named
    D = brique.distributions
    brique.manual_seed(0)
    gmm = D.MixtureSameFamily(D.Categorical(probs=brique.tensor([0.25, 0.75])),
                              D.Normal(brique.tensor([-2.0, 2.0]), brique.tensor([0.5, 0.5])))
    draws = gmm.sample((20000,))
    assert abs(draws.mean().item() - gmm.mean.item()) < 0.05
    assert abs(draws.var().item() - gmm.variance.item()) < 0.1
    with pytest.raises(ValueError, match="has 3 components"):
        D.MixtureSameFamily(D.Categorical(logits=brique.zeros(3)), D.Normal(brique.zeros(2), 1.0))
    with pytest.raises(ValueError, match="must be a Categorical"):
        D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(brique.zeros(2), 1.0))


OLD_STYLE_LAYERS = """
    import math
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class MyLinear(nn.Module):
        # the custom layer of older tutorials: uninitialised torch.Tensor(...) storage filled by
        # reset_parameters
        def __init__(self, in_features, out_features):
            super().__init__()
            self.weight = nn.Parameter(torch.Tensor(out_features, in_features))
            self.bias = nn.Parameter(torch.Tensor(out_features))
            self.reset_parameters()

        def reset_parameters(self):
            nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias, -bound, bound)

        def forward(self, x):
            return F.linear(x, self.weight, self.bias)

    class Standardize(nn.Module):
        # running input statistics kept as buffers (nn.Buffer, PyTorch >= 2.5)
        def __init__(self, d, momentum=0.1):
            super().__init__()
            self.mean = nn.Buffer(torch.zeros(d))
            self.var = nn.Buffer(torch.ones(d))
            self.scratch = nn.Buffer(torch.zeros(1), persistent=False)
            self.momentum = momentum

        def forward(self, x):
            if self.training:
                with torch.no_grad():
                    self.mean.lerp_(x.mean(0), self.momentum)
                    self.var.lerp_(x.var(0), self.momentum)
            return (x - self.mean) / (self.var + 1e-5).sqrt()

    rng = np.random.default_rng(10)
    data = torch.Tensor(rng.standard_normal((40, 5)) * 3 + 1)  # float64 data -> float32
    target = torch.Tensor((data.sum(1) > 5).tolist())
    model = sync(nn.Sequential(Standardize(5), MyLinear(5, 8), nn.ReLU(), MyLinear(8, 1)))
    keys = list(model.state_dict())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for step in range(6):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(data).squeeze(1), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    kinds = [data.dtype, target.dtype, torch.Tensor().shape, torch.Tensor(2, 3).shape,
             torch.Tensor(torch.Size([4])).shape, torch.Tensor(torch.arange(3)).dtype]
"""


def test_old_style_custom_layers_with_legacy_constructor_and_buffers():
    want, got = run_both(OLD_STYLE_LAYERS)
    assert got["keys"] == want["keys"] == ["0.mean", "0.var", "1.weight", "1.bias", "3.weight",
                                           "3.bias"]
    close(got["losses"], want["losses"])
    as_text = (lambda kinds: [str(tuple(k) if isinstance(k, tuple) else k).replace(
        "torch.", "").replace("brique.", "") for k in kinds])
    assert as_text(got["kinds"]) == as_text(want["kinds"])
    close(got["model"][0].mean, want["model"][0].mean)


UNET3D = """
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    def double_conv(cin, cout):
        return nn.Sequential(nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout),
                             nn.ReLU(inplace=True), nn.Dropout3d(0.0),
                             nn.Conv3d(cout, cout, 3, padding=1, bias=False),
                             nn.BatchNorm3d(cout), nn.ReLU(inplace=True))

    class UNet3D(nn.Module):
        # a two-level 3-D U-Net for volume segmentation
        def __init__(self, c=4):
            super().__init__()
            self.down1, self.pool = double_conv(1, c), nn.MaxPool3d(2)
            self.bottom = double_conv(c, 2 * c)
            self.up = nn.ConvTranspose3d(2 * c, c, kernel_size=2, stride=2)
            self.smooth_up = nn.Sequential(nn.Upsample(scale_factor=2, mode="trilinear"),
                                           nn.Conv3d(2 * c, c, 1))
            self.dec = double_conv(2 * c, c)
            self.head = nn.Conv3d(c, 1, 1)

        def forward(self, x):
            skip = self.down1(x)
            bottom = self.bottom(self.pool(skip))
            x = self.up(bottom, output_size=skip.shape[-3:]) + self.smooth_up(bottom)
            return self.head(self.dec(torch.cat([x, skip], dim=1)))

    def dice_loss(logits, target, eps=1.0):
        probs = torch.sigmoid(logits)
        inter = (probs * target).sum(dim=(2, 3, 4))
        union = probs.sum(dim=(2, 3, 4)) + target.sum(dim=(2, 3, 4))
        return 1 - ((2 * inter + eps) / (union + eps)).mean()

    rng = np.random.default_rng(11)
    vol = torch.tensor(rng.standard_normal((2, 1, 4, 8, 8), dtype=np.float32))
    mask = (vol > 0.5).float()
    model = sync(UNet3D())
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for step in range(3):
        optimizer.zero_grad()
        logits = model(vol)
        loss = F.binary_cross_entropy_with_logits(logits, mask) + dice_loss(logits, mask)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        out = model(vol)
        strided = F.conv_transpose3d(vol, model.up.weight[:1, :2], None, stride=(1, 2, 2),
                                     padding=(0, 1, 1), output_padding=(0, 1, 1))
        resized = F.interpolate(vol, size=(3, 5, 11), mode="trilinear", align_corners=True)
"""


def test_unet3d_with_conv_transpose3d():
    want, got = run_both(UNET3D)
    close(got["losses"], want["losses"])
    close(got["out"], want["out"], atol=1e-4)
    close(got["strided"], want["strided"])
    close(got["resized"], want["resized"])
    assert got["model"].up.weight.shape == (8, 4, 2, 2, 2)
