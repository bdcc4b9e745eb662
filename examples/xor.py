"""A 2-8-1 MLP learns XOR with brique's autodiff and plain gradient descent; prints the loss."""
import brique

brique.manual_seed(0)
x = brique.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = brique.tensor([[0.0], [1.0], [1.0], [0.0]])
w1 = (brique.randn(2, 8) * 1.0).requires_grad_()
b1 = brique.zeros(8, requires_grad=True)
w2 = (brique.randn(8, 1) * 0.5).requires_grad_()
b2 = brique.zeros(1, requires_grad=True)
params = [w1, b1, w2, b2]

for step in range(2001):
    out = ((x @ w1 + b1).tanh() @ w2 + b2).sigmoid()
    loss = ((out - y) ** 2).mean()
    for p in params:
        p.grad = None
    loss.backward()
    with brique.no_grad():
        for p in params:
            p -= 1.0 * p.grad
    if step % 250 == 0:
        print(f"step {step:4d}  loss {loss.item():.4f}")

print("predictions:", [round(v, 3) for v in out.detach().reshape(-1).tolist()])
