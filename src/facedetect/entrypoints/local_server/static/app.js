// The upload page: send a picture to POST /faces, draw the boxes, list recent detections.
// Plain browser JavaScript, no build step, no request to any other origin.
"use strict";

const $ = (id) => document.getElementById(id);
let previewUrl = null;
let lastFile = null; // the picture last uploaded: what "Redact" sends
let latest = 0; // the last action started (upload, redact, stored detection): answers to older ones are dropped

function setState(state, text) {
  document.body.dataset.state = state;
  $("status").textContent = text || "";
}

function showError(status, payload, fallback) {
  const error = payload && payload.error;
  const box = $("error");
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = error ? `${status} ${error.code}` : `Error ${status || ""}`.trim();
  const message = document.createElement("p");
  message.textContent = error ? error.message : fallback || "The server's answer could not be read.";
  box.append(title, message);
  if (error && error.request_id) {
    const id = document.createElement("small");
    id.textContent = `request id ${error.request_id}`;
    box.append(id);
  }
  box.hidden = false;
  setState("error", "");
}

function clearError() {
  $("error").hidden = true;
  $("error").replaceChildren();
}

async function readJson(response) {
  const text = await response.text();
  try {
    return { json: JSON.parse(text), text };
  } catch (e) {
    return { json: null, text };
  }
}

function drawBoxes(detection) {
  // Boxes are placed in percent of the image size the API measured, so they stay on the
  // faces whatever size the picture is displayed at.
  const layer = $("boxes");
  layer.replaceChildren();
  detection.faces.forEach((face, index) => {
    const box = document.createElement("div");
    box.className = "face-box";
    box.style.left = `${(100 * face.x1) / detection.width}%`;
    box.style.top = `${(100 * face.y1) / detection.height}%`;
    box.style.width = `${(100 * (face.x2 - face.x1)) / detection.width}%`;
    box.style.height = `${(100 * (face.y2 - face.y1)) / detection.height}%`;
    box.dataset.index = String(index);
    box.title = `face ${index}: (${face.x1}, ${face.y1}) to (${face.x2}, ${face.y2}), confidence ${face.confidence}`;
    const label = document.createElement("span");
    label.textContent = String(index);
    box.append(label);
    layer.append(box);
  });
}

async function showResult(imageSrc, detection, body, action) {
  $("result").hidden = false;
  $("boxes").replaceChildren();
  const image = $("preview-image");
  image.src = imageSrc;
  try {
    await image.decode();
  } catch (e) {
    // Not displayable by this browser (e.g. TIFF): the boxes and JSON still show.
  }
  if (action !== latest) return; // another picture was chosen meanwhile
  drawBoxes(detection);
  const count = detection.faces.length;
  $("summary").textContent = `${count} face${count === 1 ? "" : "s"} in ${detection.width}×${detection.height} ` +
    `(${detection.detector}, ${Math.round(detection.duration_ms)} ms) — id ${detection.id}`;
  $("result-json").textContent = JSON.stringify(body, null, 2);
  setState("done", "");
}

async function upload(file) {
  const action = ++latest;
  $("redact-controls").hidden = true; // until this picture is shown: Redact sends the picture shown
  clearError();
  setState("busy", `Sending ${file.name} (${Math.ceil(file.size / 1024)} KiB)…`);
  let response;
  try {
    response = await fetch("/faces", {
      method: "POST",
      body: file,
      headers: { "Content-Type": file.type || "application/octet-stream" },
    });
  } catch (e) {
    if (action === latest) showError(0, null, `Could not reach the server: ${e.message}`);
    return;
  }
  const { json, text } = await readJson(response);
  if (action !== latest) return;
  if (!response.ok || !json || !json.detection) {
    $("result").hidden = true;
    showError(response.status, json, text.slice(0, 500));
    return;
  }
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(file);
  lastFile = file;
  await showResult(previewUrl, json.detection, json, action);
  if (action === latest) $("redact-controls").hidden = false;
  loadRecent();
}

async function redact() {
  // Send the last picture to POST /redact and show the answer: the same picture, faces hidden.
  if (!lastFile) return;
  const action = ++latest;
  clearError();
  setState("busy", "Redacting…");
  const style = $("redact-style").value;
  let response;
  try {
    response = await fetch(`/redact?style=${encodeURIComponent(style)}`, {
      method: "POST",
      body: lastFile,
      headers: { "Content-Type": lastFile.type || "application/octet-stream" },
    });
  } catch (e) {
    if (action === latest) showError(0, null, `Could not reach the server: ${e.message}`);
    return;
  }
  if (!response.ok) {
    const { json, text } = await readJson(response);
    if (action === latest) showError(response.status, json, text.slice(0, 500));
    return;
  }
  const count = response.headers.get("X-Faces-Redacted");
  const redacted = await response.blob();
  if (action !== latest) return; // another picture was chosen meanwhile: keep showing it
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(redacted);
  $("boxes").replaceChildren();
  $("preview-image").src = previewUrl;
  $("summary").textContent = `${count} face${count === "1" ? "" : "s"} hidden (${style}); nothing was stored.`;
  setState("done", "");
}

async function showStored(id) {
  const action = ++latest;
  clearError();
  $("redact-controls").hidden = true;
  setState("busy", "Loading…");
  const response = await fetch(`/faces/${encodeURIComponent(id)}`);
  const { json, text } = await readJson(response);
  if (action !== latest) return;
  if (!response.ok || !json) {
    showError(response.status, json, text.slice(0, 500));
    return;
  }
  await showResult(`/faces/${encodeURIComponent(id)}/image`, json.detection, json, action);
}

async function loadRecent() {
  let response;
  try {
    response = await fetch("/faces?limit=10");
  } catch (e) {
    return;
  }
  const { json } = await readJson(response);
  if (!response.ok || !json) return;
  const list = $("recent");
  list.replaceChildren();
  for (const detection of json.detections) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.id = detection.id;
    const thumb = document.createElement("img");
    thumb.src = `/faces/${encodeURIComponent(detection.id)}/image`;
    thumb.alt = "";
    thumb.loading = "lazy";
    const text = document.createElement("span");
    const when = new Date(detection.created_at).toLocaleString();
    const count = detection.face_count;
    text.textContent = `${count} face${count === 1 ? "" : "s"} · ${detection.width}×${detection.height} · ${when}`;
    button.append(thumb, text);
    button.addEventListener("click", () => showStored(detection.id));
    item.append(button);
    list.append(item);
  }
  $("recent-empty").hidden = json.detections.length > 0;
}

function setUp() {
  const input = $("file-input");
  const zone = $("drop-zone");
  input.addEventListener("change", () => {
    if (input.files.length) upload(input.files[0]);
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const file = event.dataTransfer.files[0];
    if (file) upload(file);
  });
  $("refresh").addEventListener("click", loadRecent);
  $("redact").addEventListener("click", redact);
  loadRecent();
}

document.addEventListener("DOMContentLoaded", setUp);
