"""The history of generated images that CycleGAN's discriminators learn from.

Shrivastava et al. *Learning from Simulated and Unsupervised Images through Adversarial
Training.* CVPR 2017 (section 2.3, "history of refined images"), as CycleGAN uses it
(Zhu et al. 2017, section 4: "we update the discriminators using a history of generated
images rather than the ones produced by the latest generators ... an image buffer that
stores the 50 previously created images"). The behaviour is the official
``util/image_pool.py``'s, with its coin drawn from a seeded ``torch.Generator`` instead
of Python's global ``random``.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["ImagePool"]


class ImagePool:
    """A buffer of up to ``size`` generated images.

    :meth:`query` takes a batch of new images and returns a batch of the same shape:
    while the buffer is filling, each new image is stored and returned; once full,
    each new image is, with probability 0.5, swapped for a stored one chosen uniformly
    (the stored one is returned, the new one takes its place), and otherwise returned
    itself. ``size=0`` returns the batch unchanged (pix2pix's setting).

    Parameters
    ----------
    size
        Images kept (the official ``--pool_size``, 50).
    generator
        Draws the coin and the index; a seeded generator makes the pool reproducible.
    """

    def __init__(self, size: int = 50, generator: torch.Generator | None = None) -> None:
        if size < 0:
            raise ValueError(f"pool size must be at least 0, got {size}")
        self.size = size
        self.generator = generator if generator is not None else torch.Generator()
        self.images: list[Tensor] = []

    def __len__(self) -> int:
        return len(self.images)

    def query(self, images: Tensor) -> Tensor:
        """Images for D: (B, C, H, W) new ones in, (B, C, H, W) out, detached from their graph."""
        images = images.detach()
        if self.size == 0:
            return images
        out = []
        for image in images:
            image = image[None].clone()
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif float(torch.rand((), generator=self.generator)) > 0.5:
                index = int(torch.randint(self.size, (), generator=self.generator))
                out.append(self.images[index])
                self.images[index] = image
            else:
                out.append(image)
        return torch.cat(out)
