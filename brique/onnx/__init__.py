"""`brique.onnx`, where PyTorch keeps `torch.onnx`: importable so that `import torch.onnx` runs;
the exporter lands here."""
