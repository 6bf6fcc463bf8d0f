"""Procedural data sets of the lab's training experiments, deterministic from a seed.

Paired sets (pix2pix, Isola et al. 2017) give aligned (A, B) pairs; unpaired sets
(CycleGAN, Zhu et al. 2017) give two domains drawn independently, with each image's
mask and ground-truth attributes so that a translation's correspondence to its
input can be measured (:mod:`synth.datasets.measures`).

>>> a, b = paired("maps").pair(0, seed=0, size=64)
>>> tuple(a.shape), tuple(b.shape)
((3, 64, 64), (3, 64, 64))
>>> unpaired("coats").sample("B", 3, seed=0).attributes["coat"]
'striped'

References
----------
.. [1] P. Isola, J.-Y. Zhu, T. Zhou and A. A. Efros, "Image-to-Image Translation with
   Conditional Adversarial Networks", CVPR 2017.
.. [2] J.-Y. Zhu, T. Park, P. Isola and A. A. Efros, "Unpaired Image-to-Image
   Translation using Cycle-Consistent Adversarial Networks", ICCV 2017.
"""

from __future__ import annotations

from .base import PairedSet, Sample, UnpairedSet
from .coats import CoatsSet
from .colour import ColourSet
from .maps import MapsSet
from .seasons import SeasonsSet

__all__ = ["PAIRED_SETS", "UNPAIRED_SETS", "PairedSet", "Sample", "UnpairedSet", "paired", "unpaired"]

_PAIRED: dict[str, PairedSet] = {s.name: s for s in (MapsSet(), ColourSet())}
_UNPAIRED: dict[str, UnpairedSet] = {s.name: s for s in (CoatsSet(), SeasonsSet())}

#: Names of the paired sets (A = input, B = target).
PAIRED_SETS: tuple[str, ...] = tuple(_PAIRED)
#: Names of the unpaired sets (domains A and B).
UNPAIRED_SETS: tuple[str, ...] = tuple(_UNPAIRED)


def _lookup(kind: str, sets: dict, name: object) -> object:
    if isinstance(name, str) and name in sets:
        return sets[name]
    others = _PAIRED if sets is _UNPAIRED else _UNPAIRED
    hint = f" ({name!r} is {'a paired' if sets is _UNPAIRED else 'an unpaired'} set)" if isinstance(name, str) and name in others else ""
    raise ValueError(f"unknown {kind} data set {str(name)[:40]!r}{hint}; known: {', '.join(sets)}")


def paired(name: str) -> PairedSet:
    """The paired set ``name`` of :data:`PAIRED_SETS`; ``ValueError`` naming the known sets otherwise."""
    return _lookup("paired", _PAIRED, name)  # type: ignore[return-value]


def unpaired(name: str) -> UnpairedSet:
    """The unpaired set ``name`` of :data:`UNPAIRED_SETS`; ``ValueError`` naming the known sets otherwise."""
    return _lookup("unpaired", _UNPAIRED, name)  # type: ignore[return-value]
