"""The GAN tab end to end through gradio_client (app started offline, DCGAN weights cached)."""

from __future__ import annotations

import imageio.v2 as imageio
import pytest

RANDOM = "(random class per cell)"


def test_sample_and_interpolate(client) -> None:
    gallery, grid, status = client.predict("dcgan/faces-64", RANDOM, 5, 1.0, 4, api_name="/gan_sample")
    assert len(gallery) == 4 and gallery[0]["caption"] == "seed 5"
    assert imageio.imread(grid).shape[0] > 128 and "4 samples" in status
    gif, strip, files = client.predict("dcgan/faces-64", RANDOM, 0.8, 5, 6, "slerp", 5, True, api_name="/gan_interpolate")
    assert gif.endswith(".gif") and len(imageio.mimread(gif)) == 8
    assert sorted(f.rsplit(".", 1)[1] for f in files) == ["gif", "mp4"]
    assert imageio.imread(strip).ndim == 3
    walk = client.predict("dcgan/faces-64", RANDOM, 1.0, "0,1,2,3", 3, api_name="/gan_walk")
    assert imageio.imread(walk).shape[0] > 3 * 128


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-5, 2, "slerp", 30, False), "(?i)seed"),
        ((1, 2**40, "slerp", 30, False), "(?i)seed"),
        ((1, 2, "slerp", 0, False), "minimum"),
    ],
)
def test_bad_interpolation_inputs_give_readable_errors(client, args, message) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        client.predict("dcgan/faces-64", RANDOM, 1.0, *args, api_name="/gan_interpolate")


def test_biggan_offline_says_what_is_missing(client) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="weights download biggan/deep-128"):
        client.predict("biggan/deep-128", "golden retriever", 0, 0.4, 4, api_name="/gan_sample")
    with pytest.raises(AppError, match="corner seeds|4 corner"):
        client.predict("dcgan/faces-64", RANDOM, 1.0, "1,2", 3, api_name="/gan_walk")


def test_2d_gan_streams_frames(client) -> None:
    view, summary = client.predict("ring", None, "gaussian", "non-saturating", 0.002, 0.002, 0, api_name="/gan2d_reset")
    assert imageio.imread(view).shape[1] > 900 and summary.startswith("step 0")
    job = client.submit("ring", None, "gaussian", "non-saturating", 0.002, 0.002, 0, 5, api_name="/gan2d_play")
    frames = []
    for output in job:
        frames.append(output)
        if len(frames) >= 3:
            break
    job.cancel()
    assert len(frames) >= 3 and frames[-1][1].startswith("step 15")
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="[Dd]raw"):
        client.predict("drawn", None, "gaussian", "non-saturating", 0.002, 0.002, 0, api_name="/gan2d_reset")
