"""The promises of ``ImageStore`` (domain/ports.py), one set of tests for every adapter."""

from __future__ import annotations

import hashlib

import pytest

from facedetect.domain.ports import ImageStore
from facedetect.errors import ImageNotFound, InvalidInput

DATA = b"\xff\xd8\xff\xe0 not really a jpeg, but bytes are bytes"
KEY = f"{hashlib.sha256(DATA).hexdigest()}.jpg"
OTHER_KEY = f"{hashlib.sha256(b'other').hexdigest()}.png"


def test_implements_the_port(images: ImageStore) -> None:
    assert isinstance(images, ImageStore)


def test_get_returns_the_bytes_put(images: ImageStore) -> None:
    images.put(KEY, DATA, media_type="image/jpeg")
    images.put(OTHER_KEY, b"\x89PNG other", media_type="image/png")
    assert images.get(KEY) == DATA
    assert images.get(OTHER_KEY) == b"\x89PNG other"


def test_put_says_whether_it_created_the_key_and_never_overwrites(images: ImageStore) -> None:
    assert images.put(KEY, DATA, media_type="image/jpeg") is True
    assert images.put(KEY, b"different bytes", media_type="image/jpeg") is False
    assert images.get(KEY) == DATA


def test_exists_tells_stored_from_absent(images: ImageStore) -> None:
    assert images.exists(KEY) is False
    images.put(KEY, DATA, media_type="image/jpeg")
    assert images.exists(KEY) is True
    assert images.exists(OTHER_KEY) is False


def test_a_missing_key_is_image_not_found(images: ImageStore) -> None:
    images.put(OTHER_KEY, b"other", media_type="image/png")
    with pytest.raises(ImageNotFound):
        images.get(KEY)


def test_delete_removes_only_that_key_and_is_idempotent(images: ImageStore) -> None:
    images.put(KEY, DATA, media_type="image/jpeg")
    images.put(OTHER_KEY, b"other", media_type="image/png")
    images.delete(KEY)
    images.delete(KEY)
    images.delete(f"{'0' * 64}.jpg")  # never stored
    assert images.exists(KEY) is False
    with pytest.raises(ImageNotFound):
        images.get(KEY)
    assert images.get(OTHER_KEY) == b"other"


def test_a_deleted_key_can_be_stored_again(images: ImageStore) -> None:
    images.put(KEY, DATA, media_type="image/jpeg")
    images.delete(KEY)
    assert images.put(KEY, DATA, media_type="image/jpeg") is True
    assert images.get(KEY) == DATA


@pytest.mark.parametrize("key", ["", "a\x00b"], ids=["empty", "nul"])
def test_a_malformed_key_is_invalid_input(images: ImageStore, key: str) -> None:
    calls = (lambda: images.put(key, DATA, media_type="image/jpeg"), lambda: images.get(key),
             lambda: images.exists(key))
    for call in calls:
        with pytest.raises(InvalidInput):
            call()


def test_url_for_is_none_or_a_link_to_that_key(images: ImageStore) -> None:
    """``None`` means "serve the bytes yourself"; a link names the key (fetched over HTTP in tests/integration/aws)."""
    images.put(KEY, DATA, media_type="image/jpeg")
    url = images.url_for(KEY, 60)
    assert url is None or (url.startswith(("https://", "http://")) and KEY in url)
    other = images.url_for(OTHER_KEY, 60)
    assert (url is None) == (other is None) and (other is None or OTHER_KEY in other)
