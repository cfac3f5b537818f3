"""The dataset picker's pictures: shipped in assets/, the same as drawn, drawn when missing."""
import base64
import io

import numpy as np
import pytest
from PIL import Image

from playground.engine import datasets
from playground.ui import thumbnails


def pixels(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    raw = base64.b64decode(uri.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))


@pytest.mark.parametrize("name", list(datasets.DATASETS))
def test_the_shipped_picture_is_the_one_drawn(name):
    shipped = thumbnails.shipped()
    assert name in shipped, "run: python scripts/make_assets.py --thumbnails"
    got, want = pixels(shipped[name]), pixels(thumbnails.draw_dataset(name))
    assert got.shape == want.shape == (thumbnails.SIZE, thumbnails.SIZE, 3)
    np.testing.assert_array_equal(got, want)


@pytest.fixture
def no_shipped_file(tmp_path, monkeypatch):
    thumbnails.shipped.cache_clear()
    thumbnails.dataset_thumbnail.cache_clear()
    yield tmp_path / "thumbnails.json"
    thumbnails.shipped.cache_clear()
    thumbnails.dataset_thumbnail.cache_clear()


@pytest.mark.parametrize("content", [None, "not json", '["a list"]',
                                     '{"circle": "http://elsewhere/x.png"}'])
def test_a_missing_or_bad_file_means_the_pictures_are_drawn(no_shipped_file, monkeypatch,
                                                            content):
    if content is not None:
        no_shipped_file.write_text(content)
    monkeypatch.setattr(thumbnails, "SHIPPED", no_shipped_file)
    assert thumbnails.shipped() == {}
    uri = thumbnails.dataset_thumbnail("circle")
    np.testing.assert_array_equal(pixels(uri), pixels(thumbnails.draw_dataset("circle")))


def test_the_picker_uses_the_shipped_pictures_without_making_a_data_set(no_shipped_file,
                                                                       monkeypatch):
    made = []
    real = datasets.make_dataset
    monkeypatch.setattr(datasets, "make_dataset", lambda *a: made.append(a) or real(*a))
    for name in datasets.DATASETS:
        thumbnails.dataset_thumbnail(name)
    assert made == []
