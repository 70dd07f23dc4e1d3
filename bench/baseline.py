"""The baseline a researcher would otherwise write: the runner's dense autoencoder and training
loop in PyTorch's Python API (784-256-64, ReLU, sigmoid output, MSE, Adam, shuffled batches).
Prints one line: samples_per_s=<float>, training time only, every epoch counted (as the runner
reports its own samples_per_s).

usage: /usr/bin/python3 bench/baseline.py IDX_DIR THREADS EPOCHS BATCH
"""
import struct
import sys
import time

import torch


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim :]), dtype=torch.uint8).reshape(dims)


def main():
    idx_dir, threads, epochs, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = read_idx(idx_dir + "/train-images-idx3-ubyte").reshape(-1, 784).float() / 255.0
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 64),
        torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 784), torch.nn.Sigmoid())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = x.shape[0]
    timed_samples, timed_seconds = 0, 0.0
    for epoch in range(epochs):
        start = time.perf_counter()
        perm = torch.randperm(n)
        for b in range(0, n, batch):
            xb = x[perm[b : b + batch]]
            loss = torch.nn.functional.mse_loss(model(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        timed_seconds += time.perf_counter() - start
        timed_samples += n
    print(f"samples_per_s={timed_samples / timed_seconds:.1f}")


if __name__ == "__main__":
    main()
