"""The upload page in headless Chromium (Debian's ``chromium`` + ``chromium-driver``, driven by Selenium).

Uploads a picture of three astronauts through the page's file input, waits for the boxes
and the JSON, checks them against the API's own answer, checks that the browser never
asked another origin for anything, and saves screenshots under ``test-artifacts/``.
Skips, with the reason, when Chromium, chromedriver or Selenium is missing.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import imagegen

from facedetect.composition import bootstrap
from facedetect.entrypoints.local_server.server import make_server

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service = bootstrap(backend="filesystem", data_dir=tmp_path_factory.mktemp("browser-data"))
    server = make_server(service, port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server.url
    server.stop()
    thread.join(timeout=300)  # generous: only a hang should reach it


def wait_for(driver: Any, condition: Any, timeout: float = 60) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def network_requests(driver: Any) -> list[str]:
    """Every network URL (http, https, ws, wss) the browser asked for since the last call (DevTools log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return [url for url in urls if url.split(":", 1)[0] in ("http", "https", "ws", "wss")]


def test_uploading_a_picture_shows_its_faces_boxed_and_the_json(browser: Any, server_url: str, tmp_path: Path):
    from selenium.webdriver.common.by import By

    picture = tmp_path / "three-astronauts.jpg"
    picture.write_bytes(imagegen.jpeg(imagegen.group()))
    browser.get(f"{server_url}/")
    browser.find_element(By.ID, "file-input").send_keys(str(picture))
    wait_for(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") in ("done", "error"))
    assert browser.find_element(By.ID, "error").is_displayed() is False, browser.find_element(By.ID, "error").text
    shown = json.loads(browser.find_element(By.ID, "result-json").text)
    detection = shown["detection"]
    with urllib.request.urlopen(f"{server_url}/faces/{detection['id']}", timeout=30) as response:
        stored = json.loads(response.read())["detection"]
    assert stored == detection and len(stored["faces"]) >= 3  # the page shows what the API stored

    image = browser.find_element(By.ID, "preview-image")
    frame = image.rect
    scale = frame["width"] / stored["width"]
    assert abs(frame["height"] - stored["height"] * scale) < 2  # aspect ratio kept
    boxes = browser.find_elements(By.CSS_SELECTOR, "#boxes .face-box")
    assert len(boxes) == len(stored["faces"])
    for box, face in zip(boxes, stored["faces"], strict=True):
        drawn = box.rect
        assert abs(drawn["x"] - (frame["x"] + face["x1"] * scale)) < 2
        assert abs(drawn["y"] - (frame["y"] + face["y1"] * scale)) < 2
        assert abs(drawn["width"] - (face["x2"] - face["x1"]) * scale) < 2
        assert abs(drawn["height"] - (face["y2"] - face["y1"]) * scale) < 2

    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"#recent button[data-id='{detection['id']}']"))
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "upload-page.png"))
    requests = network_requests(browser)
    assert f"{server_url}/faces" in requests
    assert [url for url in requests if not url.startswith(f"{server_url}/")] == []


def test_an_unsupported_picture_shows_the_apis_error(browser: Any, server_url: str, tmp_path: Path):
    from selenium.webdriver.common.by import By

    picture = tmp_path / "shapes.gif"
    picture.write_bytes(imagegen.pil_encode(imagegen.shapes(), "GIF"))
    browser.get(f"{server_url}/")
    browser.find_element(By.ID, "file-input").send_keys(str(picture))
    wait_for(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "error")
    error = browser.find_element(By.ID, "error")
    assert error.is_displayed()
    assert "415 unsupported_image_format" in error.text and "GIF images are not supported" in error.text
    assert browser.find_element(By.ID, "result").is_displayed() is False
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "upload-page-error.png"))


def test_the_api_docs_render_without_any_request_to_another_origin(browser: Any, server_url: str):
    from selenium.webdriver.common.by import By

    network_requests(browser)  # forget earlier pages' requests
    browser.get(f"{server_url}/docs")
    operations = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock"))
    assert len(operations) >= 5
    assert browser.current_url == f"{server_url}/swagger"
    requests = network_requests(browser)
    assert f"{server_url}/swagger" in requests
    assert [url for url in requests if not url.startswith(f"{server_url}/")] == []
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "api-docs.png"))
