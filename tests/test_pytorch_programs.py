"""Small programs written for PyTorch, run unchanged with `torch` pointed at brique: the idioms
course code and the pytorch/examples programs lean on (old-style Variable, positional inplace,
f-strings of losses, module paths, checkpoints, schedulers, DataLoader loops)."""
import builtins
import importlib
import textwrap
import warnings

import numpy as np
import pytest

import brique

_real_import = builtins.__import__


def _as_brique(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and (name == "torch" or name.startswith("torch.")):
        module = importlib.import_module("brique" + name[len("torch"):])
        return module if fromlist else importlib.import_module("brique")
    return _real_import(name, globals, locals, fromlist, level)


def run_as_torch(source):
    """Execute `source` with every `import torch...` answered by brique; return its globals."""
    scope = {"__builtins__": dict(vars(builtins), __import__=_as_brique), "__name__": "program"}
    exec(compile(textwrap.dedent(source), "<program>", "exec"), scope)
    return scope


def test_an_old_style_course_loop():
    g = run_as_torch("""
        import torch
        import torch.nn as nn
        from torch.autograd import Variable
        torch.manual_seed(0)
        x = Variable(torch.linspace(-1, 1, 64).unsqueeze(1))
        y = Variable(3 * x.data - 0.5)
        model = nn.Sequential(nn.Linear(1, 16), nn.ReLU(True), nn.Linear(16, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=50, gamma=0.5)
        lines = []
        for step in range(150):
            loss = nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if step % 50 == 0:
                lines.append(f"step {step:3d} loss {loss:.6f} lr {sched.get_last_lr()[0]:.3f}")
        final = loss.item()
        is_variable = isinstance(loss, Variable)
    """)
    assert g["final"] < 1e-3 and g["is_variable"]
    assert g["lines"][0].startswith("step   0 loss ") and g["lines"][1].endswith("lr 0.050")


def test_module_paths_and_api_edges():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = run_as_torch("""
            import torch
            import torch.onnx
            import torch.nn.utils.rnn
            import torch.nn.functional as F
            from torch.nn.modules.rnn import LSTM
            from torch.nn.modules.container import Sequential
            from torch.nn.modules.activation import MultiheadAttention, LeakyReLU
            from torch.nn.modules.normalization import LayerNorm
            from torch.nn.modules.batchnorm import BatchNorm2d
            from torch.nn.modules.sparse import Embedding
            from torch.nn.modules.linear import Linear
            from torch.nn.modules.conv import Conv2d
            from torch.nn.modules.dropout import Dropout2d
            from torch.serialization import safe_globals
            from torch.utils.data import DataLoader, TensorDataset
            net = Sequential(Conv2d(1, 4, 3), BatchNorm2d(4), LeakyReLU(0.2, True),
                             torch.nn.Flatten(), Linear(4 * 4 * 4, 8), Dropout2d(0.5),
                             torch.nn.ReLU(inplace=True), Linear(8, 2))
            out = net(torch.randn(5, 1, 6, 6))  # Dropout2d meets a 2-D input: warns
            h = LSTM(3, 4, batch_first=True)(torch.randn(2, 5, 3))[0]
            e = Embedding(10, 3)(torch.tensor([[1, 2]]))
            x = torch.tensor([-1.0, 2.0])
            F.relu(x, inplace=True)  # no graph: the input itself changes
            text = "{:.2f}".format(torch.tensor(3.14159))
        """)
    assert g["out"].shape == (5, 2) and g["h"].shape == (2, 5, 4) and g["e"].shape == (1, 2, 3)
    assert g["x"].tolist() == [0.0, 2.0] and g["text"] == "3.14"
    assert any("dropout2d" in str(w.message) for w in caught)
    assert g["LSTM"] is brique.nn.LSTM and g["MultiheadAttention"] is brique.nn.MultiheadAttention


def test_train_checkpoint_resume(tmp_path):
    g = run_as_torch(f"""
        import io
        import numpy as np
        import torch
        from torch import nn
        from torch.utils.data import DataLoader, TensorDataset
        torch.manual_seed(1)
        centers = torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
        labels = torch.randint(0, 3, (300,))
        data = centers[labels] + 0.5 * torch.randn(300, 2)
        loader = DataLoader(TensorDataset(data, labels), batch_size=32, shuffle=True)

        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.fc1 = nn.Linear(2, 16)
                self.fc2 = nn.Linear(16, 3)

            def forward(self, x):
                return self.fc2(nn.functional.relu(self.fc1(x)))

        model = Net()
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        before = np.array(model.fc1.weight.detach())     # a snapshot: a copy
        alias = np.asarray(model.fc1.weight.detach())    # shares memory
        for epoch in range(3):
            for xb, yb in loader:
                opt.zero_grad()
                loss = nn.CrossEntropyLoss()(model(xb), yb)
                loss.backward()
                opt.step()
        with torch.no_grad():
            acc = (model(data).argmax(1) == labels).float().mean().item()
        path = {str(tmp_path / "model.pth")!r}
        torch.save({{"epoch": 3, "model_state_dict": model.state_dict(),
                    "optimizer_state_dict": opt.state_dict(), "loss": loss.item()}}, path)
        ck = torch.load(path, weights_only=True)
        again = Net()
        again.load_state_dict(ck["model_state_dict"])
        opt2 = torch.optim.Adam(again.parameters(), lr=0.05)
        opt2.load_state_dict(ck["optimizer_state_dict"])
        buffer = io.BytesIO()
        torch.save(again.state_dict(), buffer)
        buffer.seek(0)
        again.load_state_dict(torch.load(buffer))
        same = torch.equal(again(data), model(data))
    """)
    assert g["acc"] > 0.9 and g["same"] and g["ck"]["epoch"] == 3
    assert not np.array_equal(g["before"], g["alias"])  # the copy kept the initial weights
    np.testing.assert_array_equal(g["alias"], g["model"].fc1.weight.detach().numpy())


def test_a_modern_training_script_with_its_switches():
    g = run_as_torch("""
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, TensorDataset, random_split
        torch.backends.cudnn.benchmark = True
        torch.use_deterministic_algorithms(True)
        torch.set_float32_matmul_precision("high")
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        torch.manual_seed(0)
        x = torch.randn(256, 4)
        y = (x.sum(1, keepdim=True) > 0).float()
        train, val = random_split(TensorDataset(x, y), [200, 56],
                                  generator=torch.Generator().manual_seed(42))
        model = torch.compile(nn.Sequential(nn.Linear(4, 16), nn.GELU(), nn.Linear(16, 1)))
        model = model.to(device)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        sched = torch.optim.lr_scheduler.SequentialLR(opt, [
            torch.optim.lr_scheduler.LinearLR(opt, 0.1, total_iters=3),
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, 20)], milestones=[3])
        scaler = torch.amp.GradScaler()
        for epoch in range(20):
            for xb, yb in DataLoader(train, batch_size=32, shuffle=True):
                opt.zero_grad(set_to_none=True)
                with torch.autocast(device_type=device.type, dtype=torch.float16):
                    loss = nn.functional.binary_cross_entropy_with_logits(model(xb), yb)
                scaler.scale(loss).backward()
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                scaler.step(opt)
                scaler.update()
            sched.step()
        xv = torch.stack([val[i][0] for i in range(len(val))])
        yv = torch.stack([val[i][1] for i in range(len(val))])
        with torch.inference_mode():
            acc = ((model(xv) > 0).float() == yv).float().mean().item()
    """)
    assert g["acc"] > 0.9


SEQ2SEQ = """
    import random
    import torch
    import torch.nn as nn
    torch.manual_seed(0)
    random.seed(0)
    V, E, H, L, N = 12, 8, 32, 6, 32

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.rnn = nn.Embedding(V, E), nn.LSTM(E, H)

        def forward(self, src):
            _, (hidden, cell) = self.rnn(self.emb(src))
            return hidden, cell

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.rnn, self.fc = nn.Embedding(V, E), nn.LSTM(E, H), nn.Linear(H, V)

        def forward(self, token, hidden, cell):
            out, (hidden, cell) = self.rnn(self.emb(token.unsqueeze(0)), (hidden, cell))
            return self.fc(out.squeeze(0)), hidden, cell

    class Seq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = Encoder(), Decoder()

        def forward(self, src, trg, teacher_forcing_ratio=0.5):
            outputs = torch.zeros(trg.shape[0], trg.shape[1], V)  # filled step by step
            hidden, cell = self.encoder(src)
            token = trg[0, :]
            for t in range(1, trg.shape[0]):
                output, hidden, cell = self.decoder(token, hidden, cell)
                outputs[t] = output
                top1 = output.argmax(1)
                token = trg[t] if random.random() < teacher_forcing_ratio else top1
            return outputs

    model = Seq2Seq()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    src = torch.randint(1, V, (L, N))
    trg = torch.cat([torch.zeros(1, N, dtype=torch.long), src.flip(0)])  # reverse the input
    losses = []
    for step in range(60):
        opt.zero_grad()
        out = model(src, trg)
        loss = loss_fn(out[1:].reshape(-1, V), trg[1:].reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
"""


def test_a_seq2seq_tutorial_fills_its_outputs_in_place():
    # outputs[t] = output records each write in the graph, as PyTorch does
    g = run_as_torch(SEQ2SEQ)
    assert g["losses"][-1] < 0.5 * g["losses"][0]


INPLACE_IDIOMS = """
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4)
            self.c2, self.b2 = nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4)
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x):
            identity = x
            out = self.relu(self.b1(self.c1(x)))
            out = self.b2(self.c2(out))
            out += identity
            out[:, 0] = out[:, 0] * 0.5
            out.clamp_(max=5.0)
            return self.relu(out)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem, self.block, self.fc = nn.Conv2d(1, 4, 3, padding=1), Block(), nn.Linear(4, 3)

        def forward(self, x):
            return self.fc(self.block(self.stem(x).relu_()).mean((2, 3)))

    net = Net()
    net.load_state_dict({k: torch.tensor(v) for k, v in weights.items()})
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    x, y = torch.tensor(rng.standard_normal((16, 1, 8, 8), dtype=np.float32)), torch.tensor(
        rng.integers(0, 3, 16))
    losses = []
    for step in range(10):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
"""


def test_in_place_idioms_train_as_in_pytorch():
    # a residual block's `out += identity`, ReLU(inplace=True), x.relu_(), out[:, 0] = ...,
    # clamp_: the same losses as PyTorch from the same weights
    import torch
    torch.manual_seed(0)
    program = textwrap.dedent(INPLACE_IDIOMS)
    init = {}
    exec(program.replace("net.load_state_dict", "# "), init)  # PyTorch's initial weights
    weights = {k: v.detach().numpy() for k, v in init["net"].state_dict().items()}
    want = {"weights": weights}
    exec(program, want)
    got = {"__builtins__": dict(vars(builtins), __import__=_as_brique), "weights": weights}
    exec(compile(program, "<program>", "exec"), got)
    np.testing.assert_allclose(got["losses"], want["losses"], rtol=1e-4)


def test_dlpack_shares_memory_with_torch_and_numpy():
    torch = pytest.importorskip("torch")
    t = torch.zeros(3)
    b = brique.from_dlpack(t)
    b.add_(1)
    assert t.tolist() == [1.0, 1.0, 1.0]
    back = torch.from_dlpack(b)
    back[0] = 7
    assert b.tolist() == [7.0, 1.0, 1.0]
    a = np.arange(4.0)
    brique.from_dlpack(a).mul_(2)
    assert a.tolist() == [0.0, 2.0, 4.0, 6.0]
    assert np.from_dlpack(b)[0] == 7 and b.__dlpack_device__() == (1, 0)
    with pytest.raises(RuntimeError, match="require gradient"):
        torch.from_dlpack(brique.ones(2, requires_grad=True))
    with pytest.raises(TypeError, match="__dlpack__"):
        brique.from_dlpack([1, 2])


@pytest.mark.skipif(not brique.cuda.is_available(), reason="needs CuPy and a CUDA GPU")
def test_dlpack_shares_gpu_memory_with_cupy_and_torch():
    import cupy
    a = cupy.zeros(3, dtype=cupy.float32)
    b = brique.from_dlpack(a)
    assert b.device.type == "cuda"
    b.add_(2)
    assert a.tolist() == [2.0, 2.0, 2.0]
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        t = torch.from_dlpack(b)
        t[0] = 5
        assert a.tolist()[0] == 5.0
