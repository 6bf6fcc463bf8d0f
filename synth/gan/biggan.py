"""BigGAN-deep generator (Brock, Donahue & Simonyan 2019), inference only.

Brock, Donahue & Simonyan. *Large Scale GAN Training for High Fidelity Natural Image
Synthesis*. ICLR 2019. https://arxiv.org/abs/1809.11096 (BigGAN-deep: appendix B).

Our own implementation of the generator that Hugging Face converted from the TF Hub
modules (``huggingface/pytorch-pretrained-BigGAN``, MIT). Its ``state_dict()`` has
exactly the names and shapes of the published ``biggan-deep-{128,256,512}-pytorch_model.bin``
(``weights_orig`` / ``weight_u`` / ``weight_v`` of ``torch.nn.utils.spectral_norm``,
51 stored batch-norm statistics per layer), so those files load strictly. The
configurations are the published ``config.json`` values (:data:`CONFIGS`).

Differences from the published code, none of which changes the output:
* the spectrally normalised weight ``W / sigma(W)`` (sigma from the stored ``u``, ``v``
  as ``torch.nn.utils.spectral_norm`` computes it in eval mode) is computed once and
  cached until the weights change, instead of on every forward pass;
* conditional batch norm is folded into one multiply-add per element;
* self-attention runs through ``scaled_dot_product_attention`` (scale 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["BigGANConfig", "CONFIGS", "BigGAN", "interpolated_statistics"]


@dataclass(frozen=True)
class BigGANConfig:
    """The published ``config.json`` of a BigGAN-deep checkpoint.

    ``layers`` are ``(upsample, in_mult, out_mult)``: one residual block each, with
    ``in_mult * channel_width`` input and ``out_mult * channel_width`` output channels;
    BigGAN-deep pairs a block that keeps the resolution with one that doubles it.
    """

    output_dim: int = 128
    z_dim: int = 128  # z and the class embedding are both 128-d; their concatenation conditions every block
    class_embed_dim: int = 128
    channel_width: int = 128
    num_classes: int = 1000
    layers: tuple[tuple[bool, int, int], ...] = ()
    attention_layer_position: int = 8  # self-attention at 64x64, as in the paper
    eps: float = 1e-4  # batch-norm and spectral-norm epsilon of the TF Hub module
    n_stats: int = 51  # batch-norm statistics stored for truncation 0, 0.02, ..., 1


_STEM = ((False, 16, 16), (True, 16, 16), (False, 16, 16), (True, 16, 8), (False, 8, 8))

#: Published configurations (biggan-deep-{128,256,512}-config.json).
CONFIGS: dict[int, BigGANConfig] = {
    128: BigGANConfig(128, layers=_STEM + ((True, 8, 4), (False, 4, 4), (True, 4, 2), (False, 2, 2), (True, 2, 1))),
    256: BigGANConfig(
        256, layers=_STEM + ((True, 8, 8), (False, 8, 8), (True, 8, 4), (False, 4, 4), (True, 4, 2), (False, 2, 2), (True, 2, 1))
    ),
    512: BigGANConfig(
        512,
        layers=_STEM
        + ((True, 8, 8), (False, 8, 8), (True, 8, 4), (False, 4, 4), (True, 4, 2), (False, 2, 2), (True, 2, 1), (False, 1, 1), (True, 1, 1)),
    ),
}


class _SpectralNorm(nn.Module):
    """Weight ``weight_orig / sigma`` with ``sigma = u^T W v`` from the stored vectors.

    Same parameters and buffers as ``torch.nn.utils.spectral_norm`` (Miyato et al. 2018,
    eq. 6 with the power-iteration vectors of the checkpoint), without the power
    iteration: the published weights come with converged ``u`` and ``v``.
    """

    def _init_sn(self, shape: tuple[int, ...]) -> None:
        self.weight_orig = nn.Parameter(torch.empty(shape))
        nn.init.normal_(self.weight_orig, std=0.02)
        # random u, v as torch's spectral_norm starts, then a few power iterations so that
        # sigma is the top singular value and a randomly initialised model stays finite
        matrix = self.weight_orig.detach().reshape(shape[0], -1)
        u = F.normalize(torch.randn(shape[0]), dim=0)
        for _ in range(3):
            v = F.normalize(matrix.t() @ u, dim=0)
            u = F.normalize(matrix @ v, dim=0)
        self.register_buffer("weight_u", u)
        self.register_buffer("weight_v", v)
        self._cache: tuple[tuple, Tensor] | None = None

    def normalized_weight(self) -> Tensor:
        w, u, v = self.weight_orig, self.weight_u, self.weight_v
        key = (w._version, u._version, v._version, w.data_ptr(), u.data_ptr(), v.data_ptr(), w.dtype, w.device)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        with torch.inference_mode(False), torch.no_grad():
            weight = w / torch.dot(u, torch.mv(w.reshape(w.shape[0], -1), v))
        if not (self.training or w.requires_grad):
            self._cache = (key, weight)
        return weight


class SNLinear(_SpectralNorm):
    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        self._init_sn((out_features, in_features))

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.normalized_weight(), self.bias)


class SNConv2d(_SpectralNorm):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self._init_sn((out_channels, in_channels, kernel_size, kernel_size))
        self.padding = kernel_size // 2

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.normalized_weight(), self.bias, padding=self.padding)


def interpolated_statistics(means: Tensor, variances: Tensor, truncation: float) -> tuple[Tensor, Tensor]:
    """The batch-norm statistics the published model uses for ``truncation``.

    The checkpoint stores ``n`` (51) means and variances measured at truncation
    ``0, 1/(n-1), ..., 1``. With ``index, frac = divmod(truncation * (n - 1), 1)``
    (computed as ``math.modf(truncation / (1 / (n - 1)))``, as published) the model uses
    row ``index`` when ``frac == 0`` and otherwise ``frac * row[index] + (1 - frac) * row[index + 1]``.
    That weighting gives the *lower* row the weight ``frac``, the reverse of a linear
    interpolation; we keep it because the published weights were validated with it.
    """
    frac, index = math.modf(truncation / (1.0 / (means.shape[0] - 1)))
    index = int(index)
    if frac == 0.0:
        return means[index], variances[index]
    return (
        means[index] * frac + means[index + 1] * (1 - frac),
        variances[index] * frac + variances[index + 1] * (1 - frac),
    )


class BigGANBatchNorm(nn.Module):
    """Batch norm with stored, truncation-dependent statistics; class-conditional gain and bias.

    Conditional: ``y = (x - mean_t) / sqrt(var_t + eps) * (1 + scale(c)) + offset(c)``
    (Brock et al. 2019, sec. 3: shared embedding, conditional BN); unconditional: the
    usual affine batch norm with the stored statistics.
    """

    def __init__(self, num_features: int, condition_dim: int | None = None, n_stats: int = 51, eps: float = 1e-4) -> None:
        super().__init__()
        self.eps = eps
        self.conditional = condition_dim is not None
        self.register_buffer("running_means", torch.zeros(n_stats, num_features))
        self.register_buffer("running_vars", torch.ones(n_stats, num_features))
        if condition_dim is not None:
            self.scale = SNLinear(condition_dim, num_features, bias=False)
            self.offset = SNLinear(condition_dim, num_features, bias=False)
        else:
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x: Tensor, truncation: float, condition: Tensor | None = None) -> Tensor:
        mean, var = interpolated_statistics(self.running_means, self.running_vars, truncation)
        inv_std = torch.rsqrt(var + self.eps)
        if self.conditional:
            gain = (1 + self.scale(condition)) * inv_std  # (B, C)
            shift = self.offset(condition) - mean * gain
        else:
            gain = (self.weight * inv_std)[None]
            shift = (self.bias - mean * self.weight * inv_std)[None]
        return torch.addcmul(shift[:, :, None, None], x, gain[:, :, None, None])


class GenBlock(nn.Module):
    """BigGAN-deep residual block: BN-ReLU-1x1 (channels / 4), [upsample], two BN-ReLU-3x3, BN-ReLU-1x1.

    The skip path drops the second half of the channels when the block narrows and
    upsamples with nearest neighbours (Brock et al. 2019, fig. 16).
    """

    def __init__(self, in_size: int, out_size: int, condition_dim: int, up_sample: bool, n_stats: int, eps: float) -> None:
        super().__init__()
        middle = in_size // 4
        self.up_sample = up_sample
        self.out_size = out_size
        self.bn_0 = BigGANBatchNorm(in_size, condition_dim, n_stats, eps)
        self.conv_0 = SNConv2d(in_size, middle, 1)
        self.bn_1 = BigGANBatchNorm(middle, condition_dim, n_stats, eps)
        self.conv_1 = SNConv2d(middle, middle, 3)
        self.bn_2 = BigGANBatchNorm(middle, condition_dim, n_stats, eps)
        self.conv_2 = SNConv2d(middle, middle, 3)
        self.bn_3 = BigGANBatchNorm(middle, condition_dim, n_stats, eps)
        self.conv_3 = SNConv2d(middle, out_size, 1)

    def forward(self, x: Tensor, condition: Tensor, truncation: float) -> Tensor:
        h = self.conv_0(F.relu(self.bn_0(x, truncation, condition)))
        h = F.relu(self.bn_1(h, truncation, condition))
        if self.up_sample:
            h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = self.conv_1(h)
        h = self.conv_2(F.relu(self.bn_2(h, truncation, condition)))
        h = self.conv_3(F.relu(self.bn_3(h, truncation, condition)))
        skip = x[:, : self.out_size] if x.shape[1] != self.out_size else x
        if self.up_sample:
            skip = F.interpolate(skip, scale_factor=2, mode="nearest")
        return h + skip


class SelfAttn(nn.Module):
    """Self-attention of SAGAN (Zhang et al. 2019, eq. 1-3) with 2x2 max-pooled keys and values."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.snconv1x1_theta = SNConv2d(channels, channels // 8, 1, bias=False)
        self.snconv1x1_phi = SNConv2d(channels, channels // 8, 1, bias=False)
        self.snconv1x1_g = SNConv2d(channels, channels // 2, 1, bias=False)
        self.snconv1x1_o_conv = SNConv2d(channels // 2, channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        b, _, h, w = x.shape
        query = self.snconv1x1_theta(x).flatten(2).transpose(1, 2)  # (B, HW, C/8)
        key = F.max_pool2d(self.snconv1x1_phi(x), 2).flatten(2).transpose(1, 2)  # (B, HW/4, C/8)
        value = F.max_pool2d(self.snconv1x1_g(x), 2).flatten(2).transpose(1, 2)  # (B, HW/4, C/2)
        attended = F.scaled_dot_product_attention(query[:, None], key[:, None], value[:, None], scale=1.0)[:, 0]
        attended = attended.transpose(1, 2).reshape(b, -1, h, w)
        return x + self.gamma * self.snconv1x1_o_conv(attended)


class Generator(nn.Module):
    def __init__(self, config: BigGANConfig) -> None:
        super().__init__()
        ch = config.channel_width
        condition_dim = config.z_dim + config.class_embed_dim
        self.channel_width = ch
        self.gen_z = SNLinear(condition_dim, 4 * 4 * 16 * ch)
        layers: list[nn.Module] = []
        for i, (up, mult_in, mult_out) in enumerate(config.layers):
            if i == config.attention_layer_position:
                layers.append(SelfAttn(ch * mult_in))
            layers.append(GenBlock(ch * mult_in, ch * mult_out, condition_dim, up, config.n_stats, config.eps))
        self.layers = nn.ModuleList(layers)
        self.bn = BigGANBatchNorm(ch, None, config.n_stats, config.eps)
        self.conv_to_rgb = SNConv2d(ch, ch, 3)

    def forward(self, condition: Tensor, truncation: float) -> Tensor:
        # gen_z's output is laid out (4, 4, C) as in TensorFlow
        h = self.gen_z(condition).view(-1, 4, 4, 16 * self.channel_width).permute(0, 3, 1, 2).contiguous()
        for layer in self.layers:
            h = layer(h, condition, truncation) if isinstance(layer, GenBlock) else layer(h)
        h = F.relu(self.bn(h, truncation))
        # the TF module computes 128 output channels and keeps the first 3
        return torch.tanh(self.conv_to_rgb(h)[:, :3])


class BigGAN(nn.Module):
    """BigGAN-deep generator: ``forward(z, class_vector, truncation) -> (B, 3, R, R)`` in [-1, 1].

    Parameters
    ----------
    config
        One of :data:`CONFIGS` (``output_dim`` 128, 256 or 512).

    Inputs
    ------
    z
        (B, 128) latent, drawn from a normal truncated to [-2, 2] and multiplied by
        ``truncation`` (the truncation trick, Brock et al. 2019, sec. 3.1).
    class_vector
        (B, 1000) class weights: one-hot, or a mix of classes.
    truncation
        In (0, 1]; also selects the stored batch-norm statistics
        (:func:`interpolated_statistics`).

    References
    ----------
    Brock, Donahue & Simonyan (2019), arXiv:1809.11096.
    """

    def __init__(self, config: BigGANConfig = CONFIGS[128]) -> None:
        super().__init__()
        self.config = config
        self.embeddings = nn.Linear(config.num_classes, config.z_dim, bias=False)
        self.generator = Generator(config)

    @property
    def resolution(self) -> int:
        return self.config.output_dim

    @property
    def extra_bytes(self) -> int:
        """Bytes of the normalised weights a frozen model caches on its first forward pass
        (as many as ``weight_orig`` holds); the model cache counts them from the start."""
        return sum(m.weight_orig.numel() * m.weight_orig.element_size() for m in self.modules() if isinstance(m, _SpectralNorm))

    def forward(self, z: Tensor, class_vector: Tensor, truncation: float) -> Tensor:
        truncation = float(truncation)
        if not 0.0 < truncation <= 1.0:
            raise ValueError(f"truncation must be in (0, 1], got {truncation}")
        if z.ndim != 2 or z.shape[1] != self.config.z_dim:
            raise ValueError(f"z must have shape (B, {self.config.z_dim}), got {tuple(z.shape)}")
        if class_vector.shape != (z.shape[0], self.config.num_classes):
            raise ValueError(f"class_vector must have shape ({z.shape[0]}, {self.config.num_classes}), got {tuple(class_vector.shape)}")
        condition = torch.cat((z, self.embeddings(class_vector)), dim=1)
        return self.generator(condition, truncation)
