"""The bottleneck autoencoder: RGB -> encoder -> [L2 normalize] -> bottleneck -> decoder -> RGB.

Submodules are named so that hooks, regularizers and surgery can address them:

| name         | output                          | shape       |
|--------------|---------------------------------|-------------|
| `encoder`    | raw latent code (pre-norm)      | [B, latent] |
| `bottleneck` | latent after L2 normalization   | [B, latent] |
|              | (identity when `normalize` off) |             |
| `decoder`    | reconstructed RGB               | [B, 3]      |
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from .color import check_rgb

Activation = Literal["gelu", "relu"]
_ACTIVATIONS: dict[str, type[nn.Module]] = {"gelu": nn.GELU, "relu": nn.ReLU}


class L2Normalize(nn.Module):
    """Projects each latent onto the unit sphere: z / max(||z||, eps)."""

    def __init__(self, eps: float = 1e-12):
        super().__init__()
        self.eps = eps

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return F.normalize(z, dim=-1, eps=self.eps)


def _mlp(widths: list[int], activation: str) -> nn.Sequential:
    """Linear layers between consecutive widths, with the activation between them (not after the last)."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        if i > 0:
            layers.append(_ACTIVATIONS[activation]())
        layers.append(nn.Linear(fan_in, fan_out))
    return nn.Sequential(*layers)


class BottleneckAutoencoder(nn.Module):
    """A small MLP autoencoder for RGB colors with a low-dimensional bottleneck.

    With the defaults it is the 4-D model of milestone 1 (263 parameters):
    3 -> 16 -> GELU -> 4 -> 16 -> GELU -> 3 -> Sigmoid.

    Args:
        latent_dim: Size of the bottleneck (the latent space).
        hidden: Width of every hidden layer.
        depth: Number of hidden layers in the encoder (and, mirrored, in the decoder).
        activation: Nonlinearity between layers: `gelu` (exact erf form) or `relu`.
        normalize: Project latents onto the unit sphere (the `bottleneck` module).
        sigmoid: End the decoder with a sigmoid. Without it, outputs are clamped to
            [0, 1] in eval mode only, as in the milestone-2 models.
    """

    def __init__(
        self,
        latent_dim: int = 4,
        hidden: int = 16,
        depth: int = 1,
        activation: Activation = "gelu",
        normalize: bool = False,
        sigmoid: bool = True,
    ):
        super().__init__()
        if latent_dim < 1 or hidden < 1 or depth < 1:
            raise ValueError(
                f"latent_dim, hidden and depth must be >= 1; got latent_dim={latent_dim}, "
                f"hidden={hidden}, depth={depth}"
            )
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation={activation!r} is not supported; allowed: {sorted(_ACTIVATIONS)}")
        self.latent_dim = latent_dim
        self.sigmoid = sigmoid
        self.encoder = _mlp([3] + [hidden] * depth + [latent_dim], activation)
        self.bottleneck = L2Normalize() if normalize else nn.Identity()
        decoder = _mlp([latent_dim] + [hidden] * depth + [3], activation)
        if sigmoid:
            decoder.append(nn.Sigmoid())
        self.decoder = decoder

    def encode(self, rgb: torch.Tensor) -> torch.Tensor:
        """Latents as the decoder sees them (after normalization when it is on).

        Raises:
            ValueError: If `rgb` is not [..., 3] of the model's float dtype with values in [0, 1].
        """
        check_rgb(rgb)
        self._check_dtype(rgb, "rgb")
        return self.bottleneck(self.encoder(rgb))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """RGB from latents; clamped to [0, 1] in eval mode when there is no sigmoid.

        Raises:
            ValueError: If `z` is not [..., latent_dim] of the model's float dtype.
        """
        if not isinstance(z, torch.Tensor) or z.ndim == 0 or z.shape[-1] != self.latent_dim:
            shape = list(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must have shape [..., {self.latent_dim}] (the latent_dim), got {shape}")
        self._check_dtype(z, "z")
        rgb = self.decoder(z)
        if not self.sigmoid and not self.training:
            rgb = rgb.clamp(0.0, 1.0)
        return rgb

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(rgb))

    def _check_dtype(self, x: torch.Tensor, name: str) -> None:
        dtype = self.decoder[0].weight.dtype
        if x.dtype != dtype:
            raise ValueError(f"{name} has dtype {x.dtype} but the model computes in {dtype}; convert it with "
                             f"{name}.to({dtype})")
