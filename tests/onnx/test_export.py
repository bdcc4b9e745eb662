"""ONNX export: the graph passes onnx.checker and onnxruntime gives brique's outputs (1e-4),
also for a batch size other than the traced one where axes are dynamic."""
import io

import numpy as np
import pytest

import brique
from brique import nn
from brique.models import ConvAutoencoder, LeNet5, ResNet

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import brique.onnx  # noqa: E402


def exported(model, *inputs, dynamic=True, names=None, **kwargs):
    model.eval()
    names = names or [f"in{i}" for i in range(len(inputs))]
    f = io.BytesIO()
    axes = {n: {0: "batch"} for n in names} if dynamic else None
    if dynamic:
        axes["out"] = {0: "batch"}
    brique.onnx.export(model, tuple(inputs), f, input_names=names, output_names=["out"],
                       dynamic_axes=axes, **kwargs)
    onnx.checker.check_model(onnx.load_from_string(f.getvalue()))
    return ort.InferenceSession(f.getvalue(), providers=["CPUExecutionProvider"]), names


def assert_same(model, *inputs, others=(), atol=1e-4, dynamic=True):
    """Export with `inputs`, then compare on them and on each tuple in `others`."""
    sess, names = exported(model, *inputs, dynamic=dynamic)
    for case in [inputs] + list(others):
        with brique.no_grad():
            ref = model(*case)
        ref = ref[0] if isinstance(ref, tuple) else ref
        got = sess.run(None, {n: x.numpy() for n, x in zip(names, case)})[0]
        assert got.shape == tuple(ref.shape)
        np.testing.assert_allclose(got, ref.numpy(), atol=atol, rtol=1e-4)


def rand(*shape):
    return brique.randn(*shape)


class LSTMClassifier(nn.Module):
    def __init__(self, cell=nn.LSTM, **kwargs):
        super().__init__()
        self.rnn = cell(28, 16, batch_first=True, **kwargs)
        self.fc = nn.Linear(16 * (2 if kwargs.get("bidirectional") else 1), 10)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


@pytest.fixture(autouse=True)
def seed():
    brique.manual_seed(0)


def test_mlp_and_lenet_with_another_batch_size():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    assert_same(mlp, rand(4, 1, 28, 28), others=[(rand(9, 1, 28, 28),)])
    assert_same(LeNet5(), rand(2, 1, 28, 28), others=[(rand(5, 1, 28, 28),)])


@pytest.mark.parametrize("kwargs", [{}, {"num_layers": 2, "bidirectional": True}])
@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU, nn.RNN])
def test_recurrent_classifiers(cell, kwargs):
    assert_same(LSTMClassifier(cell, **kwargs), rand(3, 28, 28), others=[(rand(6, 28, 28),)])


def test_rnn_states_in_and_out():
    lstm = nn.LSTM(5, 7, num_layers=2)

    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm

        def forward(self, x, h, c):
            out, (hn, cn) = self.lstm(x, (h, c))
            return out.sum(0) + hn[-1] * cn[0]

    sess, names = exported(WithState(), rand(4, 3, 5), rand(2, 3, 7), rand(2, 3, 7),
                           dynamic=False)
    x, h, c = rand(4, 3, 5), rand(2, 3, 7), rand(2, 3, 7)
    got = sess.run(None, dict(zip(names, (x.numpy(), h.numpy(), c.numpy()))))[0]
    np.testing.assert_allclose(got, WithState()(x, h, c).detach().numpy(), atol=1e-5)


def test_conv_autoencoder_and_resnet():
    assert_same(ConvAutoencoder(), rand(2, 1, 28, 28), others=[(rand(3, 1, 28, 28),)])
    net = ResNet(n=1, in_channels=3)
    net.train()
    for _ in range(2):  # give batch norm running statistics that are not 0 and 1
        net(rand(8, 3, 32, 32))
    assert_same(net, rand(2, 3, 32, 32), others=[(rand(4, 3, 32, 32),)])


LAYERS = [
    ("conv groups dilation", lambda: nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2),
     (2, 4, 9, 9)),
    ("conv stride", lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 9, 8)),
    ("conv reflect", lambda: nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"),
     (2, 3, 6, 6)),
    ("conv circular", lambda: nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular"),
     (2, 3, 6, 6)),
    ("conv1d", lambda: nn.Conv1d(3, 5, 3, padding=1), (2, 3, 10)),
    ("conv transpose", lambda: nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1,
                                                  output_padding=1), (2, 4, 5, 5)),
    ("max pool ceil", lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True), (2, 3, 8, 8)),
    ("max pool padding", lambda: nn.MaxPool2d(3, stride=1, padding=1), (2, 3, 5, 5)),
    ("avg pool", lambda: nn.AvgPool2d(3, stride=2, padding=1), (2, 3, 7, 7)),
    ("avg pool no pad count", lambda: nn.AvgPool2d(3, stride=2, padding=1,
                                                   count_include_pad=False), (2, 3, 7, 7)),
    ("adaptive avg", lambda: nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 6)),
    ("global avg", lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5)),
    ("adaptive max", lambda: nn.AdaptiveMaxPool2d(2), (2, 3, 6, 6)),
    ("upsample nearest", lambda: nn.Upsample(scale_factor=2), (2, 3, 4, 4)),
    ("upsample bilinear", lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 4, 4)),
    ("batch norm", lambda: nn.BatchNorm2d(3), (2, 3, 4, 4)),
    ("layer norm", lambda: nn.LayerNorm([4, 4]), (2, 3, 4, 4)),
    ("group norm", lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    ("dropout", lambda: nn.Dropout(0.5), (2, 5)),
    ("bilinear", lambda: _Pair(nn.Bilinear(5, 5, 3)), (2, 5)),
    ("softmax", lambda: nn.Softmax(dim=1), (2, 5)),
    ("log softmax", lambda: nn.LogSoftmax(dim=-1), (2, 5)),
    ("flatten", lambda: nn.Flatten(), (2, 3, 4)),
    ("norms", lambda: _Norms(), (2, 5)),
    ("upsample bicubic", lambda: nn.Upsample(scale_factor=2, mode="bicubic"), (2, 3, 4, 4)),
]


class _Norms(nn.Module):
    def forward(self, x):
        return brique.stack([nn.functional.normalize(x), x.norm(1, 1, True).expand(-1, 5),
                             x.norm(float("inf"), 1, True).expand(-1, 5),
                             x.norm(3, 1, True).expand(-1, 5)])


class _Pair(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x, x * 2)


@pytest.mark.parametrize("name,build,shape", LAYERS, ids=[row[0] for row in LAYERS])
def test_layers(name, build, shape):
    layer = build()
    if isinstance(layer, nn.BatchNorm2d):
        layer(rand(*shape))
    other = (shape[0] + 3,) + shape[1:]
    assert_same(layer, rand(*shape), others=[(rand(*other),)])


ACTIVATIONS = [nn.ReLU(), nn.LeakyReLU(0.2), nn.ELU(0.7), nn.GELU(), nn.SiLU(), nn.Sigmoid(),
               nn.Tanh(), nn.Softplus(beta=2.0, threshold=3.0), nn.Softsign(), nn.Hardtanh(-0.5, 2),
               nn.Heaviside(), nn.CELU(), nn.Hardshrink(), nn.Hardsigmoid(), nn.Hardswish(),
               nn.LogSigmoid(), nn.Mish(), nn.PReLU(), nn.ReLU6(), nn.SELU(), nn.Softmin(1),
               nn.Softshrink(), nn.Tanhshrink(), nn.Threshold(0.1, 2.0), nn.RReLU(), nn.GLU()]


@pytest.mark.parametrize("act", ACTIVATIONS, ids=[type(a).__name__ for a in ACTIVATIONS])
def test_activations(act):
    assert_same(act, rand(3, 8) * 3, others=[(rand(5, 8) * 3,)])


class Movement(nn.Module):
    def forward(self, x):
        a, b = x.split([2, 3], dim=1)
        y = brique.cat([b, a * 2], 1).permute(0, 2, 1).transpose(1, 2)
        z = brique.stack([y, y], dim=-1)[:, 1:4, ::2, 0]
        w = x.view(x.shape[0], -1)[:, None, 2:]
        return z.flatten(1).sum(1, keepdim=True) + w.mean(-1) - x.flip(1)[:, :1, 0].clamp(-1, 1)


def test_movement_and_indexing():
    assert_same(Movement(), rand(2, 5, 3), others=[(rand(6, 5, 3),)])


def test_embedding_with_integer_inputs():
    model = nn.Sequential(nn.Embedding(20, 4), nn.Flatten(), nn.Linear(12, 2))
    x = brique.randint(0, 20, (3, 3))
    assert_same(model, x, others=[(brique.randint(0, 20, (5, 3)),)])


def test_multihead_attention():
    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            return self.mha(x, x, x)[0]

    assert_same(SelfAttention(), rand(2, 5, 8), others=[(rand(4, 5, 8),)])


def test_transformer_encoder():
    layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, activation="gelu")
    assert_same(nn.TransformerEncoder(layer, 2), rand(3, 6, 16), others=[(rand(5, 6, 16),)])


def test_unknown_operation_names_it_and_its_module():
    class Unpool(nn.Module):
        def __init__(self):
            super().__init__()
            self.pool = nn.MaxPool2d(2, return_indices=True)
            self.unpool = nn.MaxUnpool2d(2)

        def forward(self, x):
            return self.unpool(*self.pool(x))

    with pytest.raises(brique.onnx.UnsupportedOperatorError,
                       match=r"MaxUnpool2d.*'unpool' \(MaxUnpool2d\)"):
        brique.onnx.export(Unpool(), rand(1, 2, 4, 4), io.BytesIO())


def test_values_taken_out_of_the_graph_are_refused():
    class Leaky(nn.Module):
        def forward(self, x):
            return x * brique.tensor(x.sum().item())  # a value frozen by .item()

    with pytest.raises(brique.onnx.UnsupportedOperatorError, match="outside brique's"):
        brique.onnx.export(Leaky(), rand(2, 3), io.BytesIO())


def test_file_path_and_names(tmp_path):
    path = tmp_path / "m.onnx"
    brique.onnx.export(nn.Linear(3, 2), rand(1, 3), str(path), input_names=["x"],
                       output_names=["y"], dynamic_axes={"x": [0], "y": [0]})
    model = onnx.load(str(path))
    assert [i.name for i in model.graph.input] == ["x"]
    assert sorted(i.name for i in model.graph.initializer) == ["bias", "weight"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "x_dim0"
