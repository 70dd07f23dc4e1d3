"""Scripts the example autoencoders into TorchScript files that `runner` trains
(model.kind = "torchscript"; see models/torchscript.h for what a module provides).

    /usr/bin/python3 models/examples/make_examples.py       # writes the .pt files beside this script
    build/runner run models/examples/sweep.toml

Debian's python3-torch 1.13 scripts them; Debian's libtorch-dev 1.13 loads them.
"""
import math
import os
import sys
from typing import List, Optional

import torch
from torch import nn


def reset_uniform(weight: torch.Tensor, bias: Optional[torch.Tensor]):
    # nn.init is not scriptable. PyTorch's own layers draw their biases so, and their weights from
    # a distribution of the same bound.
    bound = 1.0 / math.sqrt(weight[0].numel())  # fan in, as PyTorch counts it
    weight.uniform_(-bound, bound)
    if bias is not None:
        bias.uniform_(-bound, bound)


class ConvAE(nn.Module):
    """A small convolutional AE (document 001's general architecture): conv layers with ReLU that
    keep the area and widen, max pooling, a fully connected code, deconvolutions back."""

    def __init__(self, latent: int = 32):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.to_code = nn.Linear(32 * 7 * 7, latent)
        self.from_code = nn.Linear(latent, 32 * 7 * 7)
        self.deconv1 = nn.ConvTranspose2d(32, 16, 2, stride=2)
        self.deconv2 = nn.ConvTranspose2d(16, 1, 2, stride=2)

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        h = x.view(-1, 1, 28, 28)  # the runner hands images flattened, (batch, 784)
        h = torch.max_pool2d(torch.relu(self.conv1(h)), 2)
        h = torch.max_pool2d(torch.relu(self.conv2(h)), 2)
        return self.to_code(h.flatten(1))

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.from_code(z)).view(-1, 32, 7, 7)
        h = torch.relu(self.deconv1(h))
        return torch.sigmoid(self.deconv2(h)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    @torch.jit.export
    def reset_parameters(self):
        with torch.no_grad():
            reset_uniform(self.conv1.weight, self.conv1.bias)
            reset_uniform(self.conv2.weight, self.conv2.bias)
            reset_uniform(self.to_code.weight, self.to_code.bias)
            reset_uniform(self.from_code.weight, self.from_code.bias)
            reset_uniform(self.deconv1.weight, self.deconv1.bias)
            reset_uniform(self.deconv2.weight, self.deconv2.bias)


class ContractiveAE(nn.Module):
    """Document 001's deep contractive AE (784, 500, 200, 100, 10) and its loss as written there:
    the squared error plus lambda times the Frobenius norm of the product of the encoder's
    weights, W_L ... W_1 (activations left out), averaged over the batch and the pixels."""

    def __init__(self, widths: List[int] = [784, 500, 200, 100, 10], lambd: float = 1e-3):
        super().__init__()
        # The layers as lists: TorchScript cannot pick a Sequential's Linears by index or type.
        pairs = list(zip(widths[:-1], widths[1:]))
        self.encoder = nn.ModuleList([nn.Linear(a, b) for a, b in pairs])
        self.decoder = nn.ModuleList([nn.Linear(b, a) for a, b in reversed(pairs)])
        self.lambd = lambd

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.encoder):
            x = layer(x) if i == 0 else layer(torch.relu(x))
        return x

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.decoder):
            z = layer(z) if i == 0 else layer(torch.relu(z))
        return torch.sigmoid(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    @torch.jit.export
    def loss(self, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        term1 = (self.forward(x) - target) ** 2
        product = torch.empty(0)
        for i, layer in enumerate(self.encoder):  # chain_matmul(W_L, ..., W_1)
            product = layer.weight if i == 0 else layer.weight.matmul(product)
        term2 = self.lambd * torch.norm(product)
        return torch.mean(torch.mean(term1 + term2, 0))

    @torch.jit.export
    def reset_parameters(self):
        with torch.no_grad():
            for layer in self.encoder:
                reset_uniform(layer.weight, layer.bias)
            for layer in self.decoder:
                reset_uniform(layer.weight, layer.bias)


def main(out: str):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name, model in [("conv_ae", ConvAE()), ("contractive_ae", ContractiveAE())]:
        path = os.path.join(out, name + ".pt")
        torch.jit.script(model).save(path)
        print("wrote", path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
