"""Training data from folders and procedural sets; every bad folder refused with a message
that names the file (or folder) and what was expected."""

from __future__ import annotations

import re

import pytest
import torch

from synth.images import save_image
from synth.train.data import Sampler, paired_images, unpaired_images

from .train_helpers import fake_datasets, smooth, target_of, write_aligned, write_pair_folders  # noqa: F401 (fixture)


def _rounded(images: torch.Tensor) -> torch.Tensor:
    return (images * 255).round().to(torch.uint8)


def test_pair_folders_and_aligned_images_give_the_same_pairs(tmp_path):
    two = paired_images(write_pair_folders(tmp_path / "two", count=5, side=32), size=32, n=100, seed=0)
    aligned = paired_images(write_aligned(tmp_path / "aligned", count=5, side=32), size=32, n=100, seed=0)
    expected = _rounded(smooth(5, 32, 0))
    assert two.a.dtype == torch.uint8 and two.a.shape == (5, 3, 32, 32)
    assert torch.equal(two.a, expected) and torch.equal(two.b, _rounded(target_of(smooth(5, 32, 0))))
    assert torch.equal(aligned.a, two.a) and torch.equal(aligned.b, two.b)
    assert two.source == str(tmp_path / "two")
    x, y = two.batch(torch.tensor([0, 3]))
    assert x.shape == (2, 3, 32, 32) and float(x.min()) >= -1 and float(x.max()) <= 1
    assert torch.allclose((x + 1) / 2, expected[[0, 3]].float() / 255)


def test_direction_folder_n_and_resizing(tmp_path):
    root = write_pair_folders(tmp_path / "d", count=6, side=40)
    forward = paired_images(root, size=16, n=4, seed=0)
    backward = paired_images(root, size=16, n=4, seed=0, direction="BtoA")
    assert forward.a.shape == (4, 3, 16, 16)  # first n in name order, resized
    assert torch.equal(forward.a, backward.b) and torch.equal(forward.b, backward.a)
    official = write_aligned(tmp_path / "official" / "train", count=3, side=20)  # dataroot/train/ as officially
    assert len(paired_images(official.parent, size=16, n=10, seed=0)) == 3


@pytest.mark.usefixtures("fake_datasets")
def test_procedural_sets_are_drawn_once_from_the_seed():
    first = paired_images("maps", size=32, n=40, seed=3)
    again = paired_images("maps", size=32, n=40, seed=3)
    other = paired_images("maps", size=32, n=40, seed=4)
    assert first.a.shape == (40, 3, 32, 32) and first.source == "maps"
    assert torch.equal(first.a, again.a) and not torch.equal(first.a, other.a)
    coats = unpaired_images("coats", size=32, n=5, seed=1)
    assert coats.a.shape == coats.b.shape == (5, 3, 32, 32) and not torch.equal(coats.a, coats.b)
    with pytest.raises(ValueError, match="unknown data 'mapz': expected one of maps, colour or a folder"):
        paired_images("mapz", size=32, n=4, seed=0)
    with pytest.raises(ValueError, match="expected one of coats or a folder"):
        unpaired_images("maps", size=32, n=4, seed=0)


def _bad(text: str) -> str:
    return re.escape(text)


def test_bad_pair_folders_are_refused_naming_the_file(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        paired_images(tmp_path / "missing", size=16, n=4, seed=0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=_bad(f"no image pairs in {tmp_path / 'empty'}: expected subfolders A/ and B/")):
        paired_images(tmp_path / "empty", size=16, n=4, seed=0)

    root = write_pair_folders(tmp_path / "lonely", count=3, side=16)
    save_image(torch.rand(1, 3, 16, 16), root / "A" / "extra.png")
    with pytest.raises(ValueError, match=_bad(f"{root / 'A' / 'extra.png'} has no partner in {root / 'B'}")):
        paired_images(root, size=16, n=4, seed=0)

    root = write_pair_folders(tmp_path / "sizes", count=2, side=16)
    save_image(torch.rand(1, 3, 20, 16), root / "B" / "01.png")
    with pytest.raises(ValueError, match=_bad(f"{root / 'A' / '01.png'} is 16x16 but {root / 'B' / '01.png'} is 16x20")):
        paired_images(root, size=16, n=4, seed=0)

    root = write_pair_folders(tmp_path / "unreadable", count=2, side=16)
    (root / "B" / "01.png").write_bytes(b"not a png at all")
    with pytest.raises(ValueError, match=_bad(f"{root / 'B' / '01.png'}: ") + ".*not an image"):
        paired_images(root, size=16, n=4, seed=0)

    root = write_pair_folders(tmp_path / "one_sided", count=2, side=16)
    for path in (root / "B").iterdir():
        path.unlink()
    (root / "B").rmdir()
    with pytest.raises(ValueError, match=_bad(f"{root} has A/ but no B/")):
        paired_images(root, size=16, n=4, seed=0)


def test_bad_aligned_images_are_refused_naming_the_file(tmp_path):
    root = write_aligned(tmp_path / "odd", count=2, side=16)
    save_image(torch.rand(1, 3, 16, 33), root / "03.png")
    with pytest.raises(ValueError, match=_bad(f"{root / '03.png'} is 33x16: an aligned pair holds A and B side by side, so its width must be even")):
        paired_images(root, size=16, n=10, seed=0)
    (root / "03.png").write_bytes(b"")
    with pytest.raises(ValueError, match=_bad(f"{root / '03.png'}: ") + ".*empty"):
        paired_images(root, size=16, n=10, seed=0)


def test_unpaired_folders_official_and_ours_and_their_refusals(tmp_path):
    root = tmp_path / "official"
    for index in range(3):
        save_image(torch.rand(1, 3, 20, 20), root / "trainA" / f"{index}.png")
    for index in range(5):
        save_image(torch.rand(1, 3, 24, 24), root / "trainB" / f"b{index}.jpg")
    data = unpaired_images(root, size=16, n=100, seed=0)
    assert data.a.shape == (3, 3, 16, 16) and data.b.shape == (5, 3, 16, 16)
    ours = write_pair_folders(tmp_path / "ours", count=2, side=16)  # A/ and B/, as `synth dataset` writes
    assert unpaired_images(ours, size=16, n=10, seed=0).a.shape == (2, 3, 16, 16)

    with pytest.raises(ValueError, match=_bad(f"{tmp_path} has no trainA/ and trainB/")):
        unpaired_images(tmp_path, size=16, n=4, seed=0)
    empty = tmp_path / "empty_b"
    (empty / "trainA").mkdir(parents=True)
    (empty / "trainB").mkdir()
    save_image(torch.rand(1, 3, 8, 8), empty / "trainA" / "x.png")
    with pytest.raises(ValueError, match=_bad(f"no images in {empty / 'trainB'}")):
        unpaired_images(empty, size=16, n=4, seed=0)
    one_sided = tmp_path / "one_sided"
    save_image(torch.rand(1, 3, 8, 8), one_sided / "trainB" / "x.png")
    with pytest.raises(ValueError, match=_bad(f"{one_sided} has trainB/ but no trainA/")):
        unpaired_images(one_sided, size=16, n=4, seed=0)
    (empty / "trainB" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(ValueError, match=_bad(f"{empty / 'trainB' / 'bad.png'}: ")):
        unpaired_images(empty, size=16, n=4, seed=0)


def test_sampler_shuffles_whole_epochs_reproducibly():
    sampler = Sampler(5, 2, torch.Generator().manual_seed(0))
    drawn = torch.cat([sampler.next() for _ in range(5)]).tolist()
    assert sorted(drawn[:5]) == [0, 1, 2, 3, 4] and sorted(drawn[5:10]) == [0, 1, 2, 3, 4]
    again = Sampler(5, 2, torch.Generator().manual_seed(0))
    assert torch.cat([again.next() for _ in range(5)]).tolist() == drawn


@pytest.mark.usefixtures("fake_datasets")
def test_a_set_name_wins_over_a_folder_of_that_name(tmp_path, monkeypatch):
    write_pair_folders(tmp_path / "maps", count=2, side=16)
    write_pair_folders(tmp_path / "mine", count=3, side=16)
    monkeypatch.chdir(tmp_path)
    assert paired_images("maps", size=16, n=5, seed=0).source == "maps"  # the procedural set, 5 pairs
    assert len(paired_images("maps", size=16, n=5, seed=0)) == 5
    assert len(paired_images("./maps", size=16, n=5, seed=0)) == 2  # the folder
    assert len(paired_images("mine", size=16, n=5, seed=0)) == 3  # not a set's name: the folder
