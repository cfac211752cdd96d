"""A page on another origin tries to store a photo through the local server, in headless Chromium.

The attacker's page is served by a second local HTTP server on another port (another
origin, as a web page the user happens to open would be). It tries what a page may do
without asking: ``fetch`` in ``no-cors`` mode with a ``text/plain`` body or with no type,
a CORS ``fetch`` with an image type (needs a preflight the server never grants), a
``text/plain`` form and a ``multipart/form-data`` form carrying the JPEG as a file.
Nothing may be stored; every write that reached the server was refused for its ``Origin``.
"""

from __future__ import annotations

import base64
import http.server
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from support import imagegen

from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.composition import bootstrap
from facedetect.entrypoints.local_server.server import make_server

pytestmark = pytest.mark.slow

ATTACK_PAGE = """<!doctype html>
<html><body data-state="running">
<iframe name="sink-text"></iframe><iframe name="sink-multipart"></iframe>
<form id="text-form" method="POST" action="VICTIM/faces" enctype="text/plain" target="sink-text">
  <input name="x" value="not really an image"></form>
<form id="multipart-form" method="POST" action="VICTIM/faces" enctype="multipart/form-data" target="sink-multipart">
  <input type="file" name="image" id="file"></form>
<script>
const jpeg = Uint8Array.from(atob("JPEG_BASE64"), c => c.charCodeAt(0));
const outcome = {};
async function attempt(name, options) {
  try { const r = await fetch("VICTIM/faces", options); outcome[name] = "answered " + r.type + " " + r.status; }
  catch (e) { outcome[name] = "failed " + e; }
}
function submitted(form, frame) {
  return new Promise(done => { document.querySelector(`iframe[name=${frame}]`).onload = done; form.submit(); });
}
(async () => {
  await attempt("no-cors text/plain", {method: "POST", mode: "no-cors", body: jpeg,
                                       headers: {"Content-Type": "text/plain"}});
  await attempt("no-cors untyped", {method: "POST", mode: "no-cors", body: jpeg.buffer});
  await attempt("no-cors image blob", {method: "POST", mode: "no-cors", body: new Blob([jpeg], {type: "image/jpeg"})});
  await attempt("cors image/jpeg", {method: "POST", body: jpeg, headers: {"Content-Type": "image/jpeg"}});
  const files = new DataTransfer();
  files.items.add(new File([jpeg], "photo.jpg", {type: "image/jpeg"}));
  document.getElementById("file").files = files.files;
  await submitted(document.getElementById("text-form"), "sink-text");
  await submitted(document.getElementById("multipart-form"), "sink-multipart");
  document.body.dataset.outcome = JSON.stringify(outcome);
  document.body.dataset.state = "done";
})();
</script></body></html>
"""


def serve_page(html: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A plain HTTP server on another port answering every GET with ``html``: the attacker's origin."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def victim() -> Iterator[tuple[str, Any]]:
    stores = InMemoryImageStore(), InMemoryDetectionRepository()
    server = make_server(bootstrap(images=stores[0], detections=stores[1]), port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server.url, stores
    server.stop()
    thread.join(timeout=30)


def test_a_page_on_another_origin_cannot_store_a_photo(browser: Any, victim: tuple[str, Any],
                                                       caplog: pytest.LogCaptureFixture):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    victim_url, (images, detections) = victim
    jpeg = imagegen.jpeg(imagegen.composite([(0, 0, 0.5)], size=(300, 300)))
    html = ATTACK_PAGE.replace("VICTIM", victim_url).replace("JPEG_BASE64", base64.b64encode(jpeg).decode())
    attacker, attacker_url = serve_page(html)
    caplog.set_level(logging.INFO)
    try:
        browser.get(f"{attacker_url}/")
        WebDriverWait(browser, 60).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "done")
        outcome = json.loads(browser.find_element(By.TAG_NAME, "body").get_attribute("data-outcome"))
    finally:
        attacker.shutdown()
        attacker.server_close()
    assert images.objects == {} and detections.items == {}, outcome
    refused = [r.getMessage() for r in caplog.records if "cross_origin_refused" in r.getMessage()]
    # the three no-cors fetches and the two forms reached the server, and each was refused for its Origin;
    # the CORS fetch never did (its preflight got no Access-Control-Allow-Origin)
    assert len(refused) == 5, (refused, outcome)
    assert all("POST /faces" in message for message in refused)
    assert outcome["cors image/jpeg"].startswith("failed"), outcome
