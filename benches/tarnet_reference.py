"""TARNet on IHDP in plain PyTorch: the reference side of causeway's benchmark.

The same model, data, optimiser and iteration count as `causeway`'s `tarnet`
estimator with its defaults (cfrnet's IHDP configuration, Shalit et al. 2017):

- representation: 3 dense layers of 200 units, ELU, divided by its L2 norm;
- two heads (one per arm): 3 dense layers of 100 units, ELU, then a linear output;
- weights ~ N(0, (0.1 / sqrt(fan_in))^2), biases 0;
- factual loss mean(w * (y - y_hat)^2), w = t/(2u) + (1-t)/(2(1-u)), u the treated
  share of the training rows; outcomes standardised on the training rows;
- L2 penalty 1e-4 * sum(w^2) / 2 over the heads' weight matrices;
- Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8; PyTorch's multi-tensor `foreach`
  variant, its fastest on CPU), lr * 0.97^floor(step / 100);
- minibatches drawn without replacement each step; every 100 steps the validation
  loss is checked and the best parameters are kept, then restored at the end;
- predictions for every row, ATE over the train and validation rows.

The timed span covers building the tensors and the model, training and predicting,
as causeway's bench does. What differs: the random streams (torch.Generator here,
ChaCha20 there), so the numbers are not bit-identical, only distributed alike.

    python benches/tarnet_reference.py DATA.csv BATCH ITERATIONS
"""

import csv
import math
import sys
import time
import warnings

# The venv has no NumPy (nothing here needs it); torch warns about that on import.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
import torch  # noqa: E402

SEED = 20170806


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    p = len(header) - 3
    x = [[float(v) for v in r[:p]] for r in body]
    t = [float(r[p]) for r in body]
    y = [float(r[p + 1]) for r in body]
    role = [r[p + 2] for r in body]
    return x, t, y, role


def dense(fan_in, fan_out, g):
    w = torch.randn(fan_in, fan_out, generator=g) * (0.1 / math.sqrt(fan_in))
    return w.requires_grad_(), torch.zeros(fan_out, requires_grad=True)


class TarNet:
    def __init__(self, n_in, g):
        self.rep = [dense(a, b, g) for a, b in [(n_in, 200), (200, 200), (200, 200)]]
        shape = [(200, 100), (100, 100), (100, 100), (100, 1)]
        self.heads = [[dense(a, b, g) for a, b in shape] for _ in range(2)]

    def parameters(self):
        layers = self.rep + self.heads[0] + self.heads[1]
        return [p for layer in layers for p in layer]

    @staticmethod
    def mlp(layers, h, last_linear):
        for i, (w, b) in enumerate(layers):
            h = h.matmul(w) + b
            if not (last_linear and i == len(layers) - 1):
                h = torch.nn.functional.elu(h)
        return h

    def forward(self, x):
        h = self.mlp(self.rep, x, last_linear=False)
        h = h / h.square().sum(1, keepdim=True).clamp_min(1e-10).sqrt()
        return self.mlp(self.heads[0], h, True), self.mlp(self.heads[1], h, True)

    def objective(self, x, t, y, w):
        y0, y1 = self.forward(x)
        y_hat = t * y1 + (1.0 - t) * y0
        return (w * (y - y_hat).square()).mean()

    def penalty(self):
        return sum(w.square().sum() for head in self.heads for w, _ in head) * (1e-4 / 2.0)


def fit(x_all, t_all, y_all, role, batch, iterations):
    g = torch.Generator().manual_seed(SEED)
    train = [i for i, r in enumerate(role) if r == "train"]
    validation = [i for i, r in enumerate(role) if r == "validation"]
    in_sample = [i for i, r in enumerate(role) if r != "test"]
    y_train = [y_all[i] for i in train]
    mean = sum(y_train) / len(train)
    scale = math.sqrt(sum((v - mean) ** 2 for v in y_train) / len(train))
    u = sum(t_all[i] for i in train) / len(train)
    x = torch.tensor(x_all, dtype=torch.float32)
    t = torch.tensor(t_all, dtype=torch.float32).view(-1, 1)
    y = torch.tensor([(v - mean) / scale for v in y_all], dtype=torch.float32).view(-1, 1)
    w = torch.tensor([1 / (2 * u) if v > 0.5 else 1 / (2 * (1 - u)) for v in t_all], dtype=torch.float32).view(-1, 1)
    train_idx = torch.tensor(train)
    val_idx = torch.tensor(validation)
    batch = min(batch, len(train))

    net = TarNet(x.shape[1], g)
    params = net.parameters()
    # foreach: the multi-tensor Adam, the fastest stock PyTorch optimiser on CPU.
    opt = torch.optim.Adam(params, lr=1e-3, foreach=True)
    val = (x[val_idx], t[val_idx], y[val_idx], w[val_idx])
    best, snapshot = math.inf, None
    for step in range(1, iterations + 1):
        for group in opt.param_groups:
            group["lr"] = 1e-3 * 0.97 ** ((step - 1) // 100)
        rows = train_idx[torch.randperm(len(train), generator=g)[:batch]]
        loss = net.objective(x[rows], t[rows], y[rows], w[rows]) + net.penalty()
        value = loss.item()
        if not math.isfinite(value):
            raise RuntimeError(f"training diverged at iteration {step}")
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == iterations:
            with torch.no_grad():
                v = net.objective(*val).item()
            if v < best:
                best, snapshot = v, [p.detach().clone() for p in params]
    with torch.no_grad():
        for p, saved in zip(params, snapshot):
            p.copy_(saved)
        mu0, mu1 = net.forward(x)
        ite = ((mu1 - mu0).view(-1).double() * scale).tolist()
    return sum(ite[i] for i in in_sample) / len(in_sample)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: tarnet_reference.py DATA.csv BATCH ITERATIONS")
    path, batch, iterations = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    # One intra-op and one inter-op thread, as causeway runs each fit.
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    x, t, y, role = load(path)
    start, cpu_start = time.perf_counter(), time.thread_time()
    ate = fit(x, t, y, role, batch, iterations)
    seconds, cpu = time.perf_counter() - start, time.thread_time() - cpu_start
    print(
        f"side=pytorch batch={batch} iterations={iterations} seconds={seconds:.4f} it_per_s={iterations / seconds:.1f} "
        f"cpu_seconds={cpu:.4f} it_per_cpu_s={iterations / cpu:.1f} ate={ate:.3f}"
    )


if __name__ == "__main__":
    main()
