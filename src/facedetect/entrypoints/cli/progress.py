"""Progress bars on stderr (tqdm), shown only when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def image_progress(total: int, *, enabled: bool) -> Any:
    """A bar counting finished images (``update()`` once per image; ``write()`` prints above it)."""
    from tqdm import tqdm

    return tqdm(total=total, unit="image", file=sys.stderr, disable=not enabled, dynamic_ncols=True, leave=True)


@contextmanager
def byte_progress(label: str, *, enabled: bool) -> Iterator[Callable[[int, int | None], None]]:
    """A download bar; yields ``progress(done, total)``, as
    :func:`facedetect.detectors.models.download_model` calls it."""
    from tqdm import tqdm

    with tqdm(desc=label, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, disable=not enabled,
              dynamic_ncols=True) as bar:

        def progress(done: int, total: int | None) -> None:
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        yield progress
