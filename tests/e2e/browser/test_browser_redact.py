"""The upload page's Redact button in headless Chromium (Debian's ``chromium`` + ``chromium-driver``).

Uploads a lossless picture of three astronauts through the page, forgets what the upload
stored (through the service's own stores), presses Redact with the ``fill`` style, and reads
back what the page received (a copy of its ``fetch`` answer) and what it displays (the preview
drawn on a canvas): the bytes are the API's own ``POST /redact`` answer, the pixels changed
inside every face box and nowhere outside the widened boxes, and nothing was stored. Also: a
redaction that answers after another picture was chosen does not replace it. Skips, with the
reason, when Chromium, chromedriver or Selenium is missing.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np
import pytest
from support import imagegen

from facedetect.adapters.filesystem import FilesystemDetectionRepository, FilesystemImageStore
from facedetect.composition import bootstrap
from facedetect.entrypoints.local_server.server import make_server

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO_ROOT / "test-artifacts"

#: The pixels the preview image shows, drawn on a canvas and read back as a PNG data URL (the page's
#: Content-Security-Policy, ``connect-src 'self'``, does not let a script fetch its ``blob:`` URL).
READ_PREVIEW = """
const done = arguments[arguments.length - 1];
const image = document.getElementById("preview-image");
image.decode().then(() => {
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  canvas.getContext("2d").drawImage(image, 0, 0);
  done({src: image.src, width: image.naturalWidth, height: image.naturalHeight, png: canvas.toDataURL("image/png")});
}, (error) => done({error: String(error)}));
"""

#: Keeps a copy of each body the page's ``fetch`` receives (DevTools evicts large bodies before they can be read).
KEEP_ANSWERS = """
const fetched = window.fetch;
window.answers = [];
window.fetch = async (...args) => {
  const response = await fetched(...args);
  window.answers.push(response.clone().arrayBuffer());
  return response;
};
"""
#: The last body kept by :data:`KEEP_ANSWERS`, base64-encoded.
READ_ANSWER = """
const done = arguments[arguments.length - 1];
window.answers[window.answers.length - 1].then((buffer) => {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  done(btoa(text));
});
"""


class Stores(NamedTuple):
    images: FilesystemImageStore
    detections: FilesystemDetectionRepository


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Stores, Path]]:
    """The local server on a data directory; the stores are handed in, so that the test can clear them."""
    data_dir = tmp_path_factory.mktemp("browser-redact-data")
    stores = Stores(FilesystemImageStore(data_dir), FilesystemDetectionRepository(data_dir))
    server = make_server(bootstrap(images=stores.images, detections=stores.detections), port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server.url, stores, data_dir
    server.stop()
    thread.join(timeout=300)  # generous: only a hang should reach it


def wait_for(driver: Any, condition: Any, timeout: float = 60) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def logged_requests(driver: Any) -> list[dict[str, Any]]:
    """The requests the browser sent since the log was last read, each with its DevTools ``requestId``."""
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append({**message["params"]["request"], "requestId": message["params"]["requestId"]})
    return requests


def stored_files(data_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file())


def widened(face: dict[str, Any], width: int, height: int) -> tuple[int, int, int, int]:
    """The face box grown by 10 % of its size on each side (what ``POST /redact`` hides), clipped."""
    dx, dy = round(0.1 * (face["x2"] - face["x1"])), round(0.1 * (face["y2"] - face["y1"]))
    return (max(0, face["x1"] - dx - 1), max(0, face["y1"] - dy - 1),
            min(width, face["x2"] + dx + 1), min(height, face["y2"] + dy + 1))


def test_redact_shows_the_picture_with_its_faces_hidden_and_stores_nothing(
        browser: Any, served: tuple[str, Stores, Path], tmp_path: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    url, stores, data_dir = served
    original = imagegen.group()
    picture = tmp_path / "three-astronauts.png"
    picture.write_bytes(imagegen.png(original))  # lossless: pixels outside the faces must not move at all
    browser.get(f"{url}/")
    browser.find_element(By.ID, "file-input").send_keys(str(picture))
    wait_for(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") in ("done", "error"))
    assert browser.find_element(By.ID, "error").is_displayed() is False, browser.find_element(By.ID, "error").text
    detection = json.loads(browser.find_element(By.ID, "result-json").text)["detection"]
    faces = detection["faces"]
    assert len(faces) >= 3
    uploaded_src = browser.find_element(By.ID, "preview-image").get_attribute("src")

    # The upload stored the picture (POST /faces keeps it); forget it, so any store by Redact shows.
    stored = stores.detections.get(detection["id"])
    stores.images.delete(stored.image_key)
    stores.detections.delete(stored.id)
    assert get_json(f"{url}/faces")["detections"] == []
    assert stored_files(data_dir) == []

    logged_requests(browser)  # forget the upload's requests
    browser.execute_script(KEEP_ANSWERS)
    Select(browser.find_element(By.ID, "redact-style")).select_by_value("fill")
    browser.find_element(By.ID, "redact").click()
    wait_for(browser, lambda d: "hidden" in d.find_element(By.ID, "summary").text
             or d.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "error")
    assert browser.find_element(By.ID, "error").is_displayed() is False, browser.find_element(By.ID, "error").text
    sent = logged_requests(browser)
    summary = browser.find_element(By.ID, "summary").text
    assert summary == f"{len(faces)} faces hidden (fill); nothing was stored."
    assert browser.find_elements(By.CSS_SELECTOR, "#boxes .face-box") == []  # the boxes are gone with the faces

    shown = browser.execute_async_script(READ_PREVIEW)
    assert "error" not in shown, shown
    assert shown["src"].startswith("blob:") and shown["src"] != uploaded_src
    assert (shown["width"], shown["height"]) == (detection["width"], detection["height"])
    displayed = decode(base64.b64decode(shown["png"].removeprefix("data:image/png;base64,")))

    request = urllib.request.Request(f"{url}/redact?style=fill", data=picture.read_bytes(), method="POST",
                                     headers={"Content-Type": "image/png"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = response.read()
    downloaded = base64.b64decode(browser.execute_async_script(READ_ANSWER))
    assert downloaded == answer  # the page received the API's own answer, byte for byte ...
    redacted = decode(answer)
    assert np.array_equal(displayed, redacted)  # ... and displays exactly its pixels
    assert redacted.shape == original.shape

    outside = np.ones(original.shape[:2], bool)
    for face in faces:
        region = (slice(face["y1"], face["y2"]), slice(face["x1"], face["x2"]))
        changed = np.any(redacted[region] != original[region], axis=2)
        assert changed.mean() > 0.9, face  # filled: nearly every pixel of the face differs
        assert float(np.abs(redacted[region].astype(int) - original[region]).mean()) > 10
        x1, y1, x2, y2 = widened(face, detection["width"], detection["height"])
        outside[y1:y2, x1:x2] = False
    assert outside.any()
    assert np.array_equal(redacted[outside], original[outside])  # every other pixel unchanged

    # Nothing was stored: no detection listed, no file written, and the page did not ask to store.
    assert get_json(f"{url}/faces")["detections"] == []
    assert stored_files(data_dir) == []
    to_server = [(r["method"], r["url"]) for r in sent if r["url"].startswith("http")]  # not the blob: image
    assert to_server == [("POST", f"{url}/redact?style=fill")]  # once, and without store=true
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "upload-page-redacted.png"))


#: Holds the page's ``/redact`` answers until ``window.release()`` (set once one has arrived).
HOLD_REDACT = """
const fetched = window.fetch;
window.release = null;
window.fetch = async (...args) => {
  const response = await fetched(...args);
  if (String(args[0]).startsWith("/redact")) await new Promise((resolve) => { window.release = resolve; });
  return response;
};
"""


def test_a_picture_chosen_while_a_redaction_runs_stays_shown_when_the_redaction_answers(
        browser: Any, served: tuple[str, Stores, Path], tmp_path: Path):
    from selenium.webdriver.common.by import By

    url, _, _ = served
    first, second = tmp_path / "three-astronauts.png", tmp_path / "one-astronaut.png"
    first.write_bytes(imagegen.png(imagegen.group()))
    second.write_bytes(imagegen.png(imagegen.astronaut()))
    browser.get(f"{url}/")

    def upload(picture: Path) -> dict[str, Any]:
        browser.find_element(By.ID, "file-input").send_keys(str(picture))
        wait_for(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "done"
                 and picture.name not in d.find_element(By.ID, "status").text)
        detection: dict[str, Any] = json.loads(browser.find_element(By.ID, "result-json").text)["detection"]
        return detection

    upload(first)
    browser.execute_script(HOLD_REDACT + "window.redacting = redact();")  # what the Redact button calls
    wait_for(browser, lambda d: d.execute_script("return window.release !== null"))  # its answer has arrived
    chosen = upload(second)  # the user picks another picture meanwhile
    assert chosen["width"] == imagegen.astronaut().shape[1]
    summary = browser.find_element(By.ID, "summary").text
    preview = browser.find_element(By.ID, "preview-image").get_attribute("src")

    browser.execute_async_script("window.release(); window.redacting.then(() => arguments[0]());")
    # The first picture's redaction, answered late, does not replace the picture now shown.
    assert browser.find_element(By.ID, "summary").text == summary
    assert browser.find_element(By.ID, "preview-image").get_attribute("src") == preview
    shown = browser.execute_async_script(READ_PREVIEW)
    assert "error" not in shown, shown
    assert np.array_equal(decode(base64.b64decode(shown["png"].removeprefix("data:image/png;base64,"))),
                          imagegen.astronaut())
    assert len(browser.find_elements(By.CSS_SELECTOR, "#boxes .face-box")) == len(chosen["faces"])
