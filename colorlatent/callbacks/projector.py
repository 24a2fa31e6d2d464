"""ProjectorCallback: the final latents in TensorBoard's interactive views (projector and mesh)."""

from __future__ import annotations

from collections.abc import Sequence

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only

from ..color import named_colors, rgb_to_hsv
from ..logs import tensorboard_writers
from .common import encode_in_eval, probe_colors

METADATA_HEADER = ["name", "hue", "saturation", "value"]


def color_metadata(rgb: torch.Tensor) -> list[list[str]]:
    """One projector metadata row per color: [name, hue (degrees), saturation, value].

    `name` is the named color (`colorlatent.color.named_colors`) the color equals, or '-' when
    it is none of them; the projector can color points by it (it has fewer than 50 values).
    """
    named = named_colors()
    rgb = rgb.detach().float().cpu()
    hsv = rgb_to_hsv(rgb)
    close = torch.cdist(rgb, named.rgb) < 1e-4
    rows = []
    for i, (h, s, v) in enumerate(hsv.tolist()):
        hits = close[i].nonzero().flatten().tolist()
        name = named.names[hits[0]] if hits else "-"
        rows.append([name, f"{h * 360:.1f}", f"{s:.3f}", f"{v:.3f}"])
    return rows


class ProjectorCallback(L.Callback):
    """At the end of training, logs the probe latents for TensorBoard's interactive 3-D views.

    * Projector (`add_embedding`, tag `tag`): every latent, with a solid swatch of its color as
      the point's image and metadata columns name, hue, saturation and value.
    * Mesh (`add_mesh`, tag `mesh_tag`): a point cloud of three latent dims, every point in its RGB
      color (dims beyond the latent size are drawn at 0, so 2-D latents lie in a plane).

    Runs on rank zero, only when the trainer has a TensorBoard logger, at `trainer.global_step`.

    Args:
        colors: Probe color set name; default: the data module's validation colors (else rgb-8).
        tag: Projector tag.
        mesh_tag: Mesh tag.
        mesh_dims: The three latent dims of the point cloud.
        point_size: Size of the mesh points, in latent units.
        swatch: Side of the color swatch images, in pixels.
    """

    def __init__(self, colors: str | None = None, tag: str = "latents", mesh_tag: str = "latent/mesh",
                 mesh_dims: Sequence[int] = (0, 1, 2), point_size: float = 0.04, swatch: int = 8):
        super().__init__()
        if len(mesh_dims) != 3 or any(d < 0 for d in mesh_dims):
            raise ValueError(f"mesh_dims must be three non-negative latent dims; got {list(mesh_dims)}")
        if swatch < 1:
            raise ValueError(f"swatch must be a positive number of pixels; got {swatch}")
        self.colors, self.tag, self.mesh_tag = colors, tag, mesh_tag
        self.mesh_dims, self.point_size, self.swatch = list(mesh_dims), point_size, swatch

    @rank_zero_only
    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        writers = tensorboard_writers(trainer)
        if not writers:
            return
        rgb = probe_colors(trainer, self.colors).rgb
        z = encode_in_eval(pl_module, rgb).float().cpu()
        swatches = rgb[:, :, None, None].expand(-1, -1, self.swatch, self.swatch)
        padded = torch.cat([z, torch.zeros(len(z), max(0, max(self.mesh_dims) + 1 - z.shape[1]))], dim=1)
        vertices = padded[:, self.mesh_dims][None]
        # The mesh plugin reads colors as bytes: 0-255, not 0-1.
        colors = (rgb * 255).round().to(torch.uint8)[None]
        metadata = color_metadata(rgb)
        step = trainer.global_step
        for writer in writers:
            writer.add_embedding(z, metadata=metadata, label_img=swatches, global_step=step, tag=self.tag,
                                 metadata_header=METADATA_HEADER)
            writer.add_mesh(self.mesh_tag, vertices, colors=colors, global_step=step,
                            config_dict={"material": {"cls": "PointsMaterial", "size": self.point_size}})
