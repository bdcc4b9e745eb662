"""`brique.nn.utils.rnn`, where PyTorch keeps its sequence packing and padding helpers."""
