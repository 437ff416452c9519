"""One training step of the 784-256-256-10 ReLU MLP at batch 128 in torch on one CPU thread:
the counterpart of benchmarks/training_step.cpp (sgda_training_benchmark) for issue 13.

The same step as the library side of that benchmark: a batch of 128 drawn from a pool of 4096
examples (784 uniform features stored as float32, labels i mod 10) by reshuffling once per epoch,
gathered and converted to the network's precision, then zero_grad, forward, softmax cross-entropy
(mean over the batch), backward and an Adam step (lr 1e-3, torch's defaults otherwise). Weights
He normal, biases zero. After a warm-up, blocks of 20 steps; the median over 15 blocks of the
time per step. float64 matches sgda's precision; float32 is printed for information.

    OMP_NUM_THREADS=1 taskset -c 1 /usr/bin/python3 benchmarks/torch_mlp_step.py

Needs only Debian's python3-torch (1.13). Its matrix products go through the system BLAS
(libblas.so.3: netlib's reference BLAS unless OpenBLAS or BLIS is installed); the header line
says which library was loaded.
"""
import statistics
import time

import torch

BATCH, EXAMPLES, BLOCK, REPEATS, WARMUP = 128, 4096, 20, 15, 20


def blas_library():
    try:
        with open("/proc/self/maps") as maps:
            names = {line.split()[-1] for line in maps if "blas" in line.lower()}
        return ", ".join(sorted(n for n in names if n.startswith("/"))) or "unknown"
    except OSError:
        return "unknown"


def median_step(dtype):
    torch.manual_seed(1)
    features = torch.rand(EXAMPLES, 784, dtype=torch.float32)
    labels = torch.arange(EXAMPLES) % 10
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 10)).to(dtype)
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            torch.nn.init.zeros_(layer.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    state = {"order": None, "position": EXAMPLES}

    def steps(count):
        for _ in range(count):
            if state["position"] >= EXAMPLES:  # a new epoch: a new permutation
                state["order"], state["position"] = torch.randperm(EXAMPLES), 0
            index = state["order"][state["position"]:state["position"] + BATCH]
            state["position"] += BATCH
            x = features.index_select(0, index).to(dtype)
            y = labels.index_select(0, index)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()

    steps(WARMUP)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        steps(BLOCK)
        times.append((time.perf_counter() - start) / BLOCK)
    return statistics.median(times)


def main():
    torch.set_num_threads(1)
    flops = 6.0 * BATCH * (784 * 256 + 256 * 256 + 256 * 10)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, BLAS {blas_library()}")
    print(f"784-256-256-10 ReLU MLP, batch {BATCH}, one training step "
          f"(median of {REPEATS} x {BLOCK})")
    print(f"{'':24}{'ms/step':>10}{'steps/s':>10}{'GFLOP/s':>10}")
    for name, dtype in (("torch float64 + Adam", torch.float64),
                        ("torch float32 + Adam", torch.float32)):
        t = median_step(dtype)
        print(f"{name:24}{1e3 * t:10.3f}{1 / t:10.1f}{flops / t * 1e-9:10.2f}")


if __name__ == "__main__":
    main()
