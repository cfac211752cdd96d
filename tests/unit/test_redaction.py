"""Redaction on encoded images: faces hidden, every other pixel kept, format, orientation and quality kept.

Face boxes come from raw OpenCV (the reference detector) or are given by hand; the checks compare
decoded pixels of input and output with Pillow, independently of facedetect's own decoding.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps
from support import imagegen

from facedetect import redact
from facedetect.domain.model import BoundingBox, Face
from facedetect.domain.redaction import MARGIN, STYLES, redact_faces
from facedetect.errors import InvalidImage, InvalidInput, UnsupportedImageFormat

BOX = BoundingBox(177, 66, 95, 95)  # the astronaut's face, as raw OpenCV frames it
FACE = Face(box=BOX, confidence=0.9)


def pixels(data: bytes, *, oriented: bool = False) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    if oriented:
        image = ImageOps.exif_transpose(image)
    return np.asarray(image)


def outside(shape: tuple[int, ...], box: BoundingBox, margin: float = 0.25) -> np.ndarray:
    mask = np.ones(shape[:2], bool)
    dx, dy = int(np.ceil(box.width * margin)), int(np.ceil(box.height * margin))
    mask[max(0, box.y - dy):box.y + box.height + dy, max(0, box.x - dx):box.x + box.width + dx] = False
    return mask


def grey_change(before: np.ndarray, after: np.ndarray, box: BoundingBox) -> float:
    def grey(a: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(a[..., :3], cv2.COLOR_RGB2GRAY).astype(float) if a.ndim == 3 else a.astype(float)

    x1, y1, x2, y2 = box.to_xyxy()
    return float(np.abs(grey(before)[y1:y2, x1:x2] - grey(after)[y1:y2, x1:x2]).mean())


def test_the_library_call_hides_the_astronauts_face_and_nothing_else() -> None:
    png = imagegen.png()
    grey = cv2.cvtColor(imagegen.astronaut(), cv2.COLOR_BGR2GRAY)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    (x, y, w, h), = cascade.detectMultiScale(grey, 1.1, 5)
    box = BoundingBox(int(x), int(y), int(w), int(h))

    out = redact(png)

    assert out.startswith(b"\x89PNG")
    before, after = pixels(png), pixels(out)
    assert grey_change(before, after, box) >= 20, "the default style must make the face unrecognisable"
    assert np.array_equal(before[outside(before.shape, box)], after[outside(after.shape, box)])


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF"])
def test_lossless_formats_keep_every_pixel_outside_the_margin(style: str, fmt: str) -> None:
    data = imagegen.pil_encode(imagegen.astronaut(), fmt)
    out = redact_faces(data, [FACE], style=style)
    assert out.media_type == f"image/{fmt.lower()}" and Image.open(io.BytesIO(out.data)).format == fmt
    before, after = pixels(data), pixels(out.data)
    assert grey_change(before, after, BOX) >= 20
    changed = np.any(before != after, axis=-1)
    ys, xs = np.nonzero(changed)
    dx, dy = round(BOX.width * MARGIN), round(BOX.height * MARGIN)
    assert xs.min() >= BOX.x - dx and xs.max() < BOX.x + BOX.width + dx
    assert ys.min() >= BOX.y - dy and ys.max() < BOX.y + BOX.height + dy


def test_lossless_webp_stays_lossless_and_lossy_webp_stays_webp() -> None:
    lossless = imagegen.pil_encode(imagegen.astronaut(), "WEBP", lossless=True)
    out = redact_faces(lossless, [FACE]).data
    before, after = pixels(lossless), pixels(out)
    assert np.array_equal(before[outside(before.shape, BOX)], after[outside(after.shape, BOX)])
    lossy = imagegen.pil_encode(imagegen.astronaut(), "WEBP", quality=80)
    assert Image.open(io.BytesIO(redact_faces(lossy, [FACE]).data)).format == "WEBP"


def test_alpha_is_kept_and_palette_images_become_true_colour() -> None:
    rgba = np.dstack([imagegen.astronaut()[:, :, ::-1], np.full((512, 512), 200, np.uint8)])
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    after = pixels(redact_faces(buffer.getvalue(), [FACE], style="fill").data)
    assert after.shape == (512, 512, 4) and (after[..., 3] == 200).all()
    assert (after[BOX.y + 5, BOX.x + 5, :3] == 0).all()

    palette = io.BytesIO()
    Image.fromarray(imagegen.astronaut()[:, :, ::-1]).convert("P").save(palette, "PNG")
    before = np.asarray(Image.open(io.BytesIO(palette.getvalue())).convert("RGB"))
    after = pixels(redact_faces(palette.getvalue(), [FACE]).data)
    assert np.array_equal(before[outside(before.shape, BOX)], after[outside(after.shape, BOX)])


def test_jpeg_keeps_its_quantisation_tables_and_the_rest_stays_close() -> None:
    data = imagegen.jpeg(quality=75)
    out = redact_faces(data, [FACE]).data
    assert Image.open(io.BytesIO(out)).quantization == Image.open(io.BytesIO(data)).quantization
    before, after = pixels(data).astype(int), pixels(out).astype(int)
    far = outside(before.shape, BOX, margin=0.6)  # JPEG blocks near the face are re-quantised
    assert np.abs(before[far] - after[far]).mean() < 1.5


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_output_keeps_the_stored_orientation_and_hides_the_seen_face(orientation: int) -> None:
    # Stored sideways: the face a person sees (orientation applied) is where the box says.
    stored = {3: cv2.ROTATE_180, 6: cv2.ROTATE_90_COUNTERCLOCKWISE, 8: cv2.ROTATE_90_CLOCKWISE}[orientation]
    data = imagegen.jpeg_with_orientation(cv2.rotate(imagegen.astronaut(), stored), orientation, quality=95)
    out = redact_faces(data, [FACE], style="fill").data

    redacted = Image.open(io.BytesIO(out))
    assert redacted.getexif().get(0x0112) == orientation, "the orientation tag is kept"
    assert redacted.size == Image.open(io.BytesIO(data)).size, "the stored orientation is kept"
    seen = pixels(out, oriented=True)
    assert seen[BOX.y + BOX.height // 2, BOX.x + BOX.width // 2].max() < 20, "the seen face is filled"


def test_faces_are_the_only_metadata_risk_exif_besides_orientation_is_dropped() -> None:
    exif = Image.Exif()
    exif[0x010E] = "holiday, with Jane Doe"  # ImageDescription
    data = imagegen.pil_encode(imagegen.astronaut(), "JPEG", exif=exif.tobytes())
    assert 0x010E not in Image.open(io.BytesIO(redact_faces(data, [FACE]).data)).getexif()


def test_no_faces_means_the_same_pixels() -> None:
    data = imagegen.png(imagegen.shapes())
    assert np.array_equal(pixels(data), pixels(redact(data)))


def test_bad_input_raises_typed_errors() -> None:
    with pytest.raises(InvalidInput, match="style"):
        redact(imagegen.png(), style="smudge")
    with pytest.raises(InvalidImage):
        redact(b"certainly not an image")
    with pytest.raises(UnsupportedImageFormat):
        redact(b"GIF89a" + b"\0" * 64)
