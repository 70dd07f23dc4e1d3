"""The TorchScript modules the tests train and refuse, written to the folder given (a CTest
fixture runs this with Debian's python3-torch before the tests that need them)."""
import os
import sys
import torch
from torch import nn


class Dense(nn.Module):
    """The built-in `dense` kind written in PyTorch: Linear layers through `hidden`, ReLU between,
    a linear code, a mirrored decoder ending in a sigmoid; parameters in the built-in's order."""

    def __init__(self, hidden: int = 256, latent: int = 64):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 784))

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z))


class DenseReset(Dense):
    """The same with reset_parameters(), so that each seed starts elsewhere."""

    @torch.jit.export
    def reset_parameters(self):
        with torch.no_grad():
            for w in [self.encoder[0].weight, self.encoder[0].bias, self.encoder[2].weight,
                      self.encoder[2].bias, self.decoder[0].weight, self.decoder[0].bias,
                      self.decoder[2].weight, self.decoder[2].bias]:
                w.uniform_(-0.1, 0.1)


class BetaLoss(Dense):
    """Its own loss, scaled by the beta the runner passes."""

    @torch.jit.export
    def loss(self, x: torch.Tensor, target: torch.Tensor, beta: float) -> torch.Tensor:
        return beta * torch.mean((self.decode(self.encode(x)) - target) ** 2)


class JacobianLoss(Dense):
    """A loss that differentiates its own code, as an exact contractive penalty does."""

    @torch.jit.export
    def loss(self, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        x = x.detach().requires_grad_(True)
        z = self.encode(x)
        g = torch.autograd.grad([z.sum()], [x], create_graph=True)[0]
        assert g is not None
        return torch.mean((self.decode(z) - target) ** 2) + 1e-3 * torch.mean(g ** 2)


class NoEncode(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(784, 784)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.layer(z)


class WrongWidth(Dense):
    """Decodes 100 pixels, not 784."""

    def __init__(self):
        super().__init__(16, 8)
        self.decoder = nn.Sequential(nn.Linear(8, 100))


class PixelLoss(Dense):
    """A loss per pixel, not a scalar."""

    @torch.jit.export
    def loss(self, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (self.decode(self.encode(x)) - target) ** 2


class WithBuffer(Dense):
    def __init__(self):
        super().__init__(16, 8)
        self.norm = nn.BatchNorm1d(8)


def main(out: str):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    modules = {"dense": Dense(), "dense_small": Dense(32, 8), "dense_reset": DenseReset(32, 8),
               "beta_loss": BetaLoss(16, 8), "jacobian_loss": JacobianLoss(16, 8),
               "no_encode": NoEncode(), "wrong_width": WrongWidth(),
               "pixel_loss": PixelLoss(16, 8), "with_buffer": WithBuffer()}
    for name, module in modules.items():
        torch.jit.script(module).save(os.path.join(out, name + ".pt"))
    torch.save(Dense(16, 8).state_dict(), os.path.join(out, "state_dict.pt"))  # not TorchScript


if __name__ == "__main__":
    main(sys.argv[1])
