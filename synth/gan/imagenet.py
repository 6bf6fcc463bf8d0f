"""The 1000 ImageNet class names BigGAN is conditioned on, and search over them.

Names come from torchvision's ``VGG19_Weights.IMAGENET1K_V1.meta["categories"]``
(installed with torchvision, so search works offline); index i is BigGAN's class i.
"""

from __future__ import annotations

import difflib
from functools import lru_cache

__all__ = ["class_names", "find_class", "search_classes"]


@lru_cache(maxsize=1)
def class_names() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names in index order."""
    from torchvision.models import VGG19_Weights

    return tuple(VGG19_Weights.IMAGENET1K_V1.meta["categories"])


def search_classes(query: str, *, limit: int = 20) -> list[tuple[int, str]]:
    """Classes whose name contains ``query`` (case-insensitive), best matches first.

    Exact names first, then names that start with the query, then other substrings;
    close spellings (``difflib``) when no name contains the query; at most ``limit``.
    """
    names = class_names()
    q = query.strip().lower()
    if not q:
        return []
    exact = [i for i, n in enumerate(names) if n.lower() == q]
    starts = [i for i, n in enumerate(names) if n.lower().startswith(q) and i not in exact]
    inner = [i for i, n in enumerate(names) if q in n.lower() and i not in exact and i not in starts]
    found = exact + starts + inner
    if not found:  # a typo: close spellings
        lowered = [n.lower() for n in names]
        found = [lowered.index(c) for c in difflib.get_close_matches(q, lowered, n=limit, cutoff=0.6)]
    return [(i, names[i]) for i in found[:limit]]


def find_class(query: str | int) -> int:
    """A class index from an index (``207``, ``"207"``) or a name (``"golden retriever"``).

    Raises ``ValueError`` with suggestions when nothing matches or the name is ambiguous.
    """
    names = class_names()
    text = str(query).strip()
    if text.lstrip("-").isdigit():
        index = int(text)
        if not 0 <= index < len(names):
            raise ValueError(f"class index must be in [0, {len(names) - 1}], got {index}")
        return index
    matches = search_classes(text, limit=6)
    if not matches:
        raise ValueError(f"no ImageNet class matches {text!r}; try a word like 'dog', 'volcano' or 'pizza'")
    if matches[0][1].lower() == text.lower() or len(matches) == 1:
        return matches[0][0]
    if text.lower() not in matches[0][1].lower() and difflib.SequenceMatcher(None, text.lower(), matches[0][1].lower()).ratio() >= 0.9:
        return matches[0][0]  # a small typo
    options = ", ".join(f"{name!r} ({i})" for i, name in matches[:5])
    raise ValueError(f"{text!r} matches several ImageNet classes: {options}; give the full name or the index")
