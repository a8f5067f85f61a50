// The share page (/try/{token}): the model's labels, live bars from the microphone, or a file.
// It sees no project data and changes nothing.

import { api } from "./api.js";
import { deviceLine, levelMeter, listInputs, liveSpectrogram, mic } from "./audio.js";
import { rateCounter, streamToSocket } from "./socket.js";
import { renderPrediction } from "./timeline.js";
import { $, busy, displayName, dropZone, filePicker, h, labelColour, probabilityBars, showError } from "./ui.js";

const token = decodeURIComponent(location.pathname.replace(/\/+$/, "").split("/").pop());
let info = null;
let live = null;

function stop(reason) {
  if (live) live.stop();
  live = null;
  $("#try-live-start").disabled = false;
  $("#try-live-stop").disabled = true;
  $("#try-live-status").textContent = reason || "stopped";
}

async function start() {
  stop();
  await mic.start($("#try-input-device").value);
  await listInputs($("#try-input-device"));
  $("#try-device-rate").textContent = deviceLine();
  const update = probabilityBars($("#try-live-bars"), info.labels);
  const count = rateCounter();
  $("#try-live-status").textContent = "connecting…";
  live = streamToSocket(api.tryLiveUrl(token), {
    onOpen: () => { $("#try-live-status").textContent = `listening at ${mic.sampleRate} Hz`; },
    onResult: (msg) => {
      const best = update(msg.probabilities || {});
      const label = msg.label || best;
      $("#try-live-label").textContent = displayName(label);
      $("#try-live-label").dataset.label = label;
      $("#try-live-rate").textContent = `${count().toFixed(1)} updates/s`;
    },
    onClose: (reason) => {
      stop(`stopped: ${reason}`);
      showError(new Error(`Listening stopped: ${reason}`));
    },
  });
  $("#try-live-stop").disabled = false;
}

async function boot() {
  levelMeter($("#try-meter"));
  liveSpectrogram($("#try-spectrogram"));
  try {
    info = await api.tryInfo(token);
  } catch (err) {
    $("#try-name").textContent = "This share link does not work";
    showError(err);
    for (const b of document.querySelectorAll("button, input")) b.disabled = true;
    return;
  }
  $("#try-name").textContent = info.name || "A sound model";
  document.title = `${info.name || "A sound model"} · earmark`;
  $("#try-labels").replaceChildren(...info.labels.map((l) =>
    h("li", { "data-label": l }, h("i", { style: { background: labelColour(l, info.labels) } }), displayName(l))));
  probabilityBars($("#try-live-bars"), info.labels);
  $("#try-live-start").addEventListener("click", (e) => busy(e.currentTarget, start).then(() => {
    if (live) $("#try-live-start").disabled = true;
  }));
  $("#try-live-stop").addEventListener("click", () => stop());
  $("#try-input-device").addEventListener("change", () => { if (live) busy($("#try-live-start"), start); });
  const onFiles = (files) => {
    const file = files[0];
    if (!file) return;
    const out = $("#try-result");
    busy($("#try-drop"), async () => {
      out.replaceChildren(h("p", { class: "muted" }, h("span", { class: "spinner" }), ` Listening to ${file.name}…`));
      try {
        renderPrediction(out, await api.tryPredict(token, file), file, info.labels);
      } catch (err) {
        out.replaceChildren(h("p", { class: "error-text" }, err.message));
        throw err;
      }
    });
  };
  dropZone($("#try-drop"), onFiles);
  filePicker($("#try-file"), onFiles);
  listInputs($("#try-input-device")).catch(() => {});
  document.body.dataset.ready = "true";
}

boot();
