// The share page (/try/{token}): the model's labels, live bars from the microphone, or a file.
// It sees no project data and changes nothing. The live preview and the file predictor are the
// studio's own (preview.js, predict.js).

import { api } from "./api.js";
import { deviceLine, levelMeter, listInputs, liveSpectrogram, mic, micUnavailable } from "./audio.js";
import { filePredictor } from "./predict.js";
import { LivePreview } from "./preview.js";
import { $, displayName, h, labelColour, probabilityBars, showError, wireFileButtons } from "./ui.js";

const token = decodeURIComponent(location.pathname.replace(/\/+$/, "").split("/").pop());

async function openMic() {
  await mic.hold("preview", $("#try-input-device").value);
  await listInputs($("#try-input-device"));
  $("#try-device-rate").textContent = deviceLine();
}

async function boot() {
  wireFileButtons();
  let preview = null;
  levelMeter($("#try-meter"), () => Boolean(preview && preview.running));
  liveSpectrogram($("#try-spectrogram"));
  let info;
  try {
    info = await api.tryInfo(token);
  } catch (err) {
    // only the message: nothing to try with a link that leads nowhere
    $("#try-name").textContent = "This share link does not work";
    $("#try-about").textContent = err && err.message ? err.message : String(err);
    for (const card of [$("#try-mic-card"), $("#try-file-card"), $("#try-labels")]) card.hidden = true;
    showError(err);
    document.body.dataset.ready = "true";
    return;
  }
  $("#try-name").textContent = info.name || "A sound model";
  document.title = `${info.name || "A sound model"} · earmark`;
  $("#try-labels").replaceChildren(...info.labels.map((l) =>
    h("li", { "data-label": l }, h("i", { style: { background: labelColour(l, info.labels) } }), displayName(l))));
  probabilityBars($("#try-live-bars"), info.labels);
  preview = new LivePreview({
    start: $("#try-live-start"), stop: $("#try-live-stop"), status: $("#try-live-status"),
    label: $("#try-live-label"), bars: $("#try-live-bars"), rate: $("#try-live-rate"),
  }, {
    openMic, target: () => ({ url: api.tryLiveUrl(token), labels: info.labels }),
    idleBars: (bars) => probabilityBars(bars, info.labels),
    canStart: () => !micUnavailable(),
  }).bind();
  const noMic = micUnavailable(); // e.g. a phone on the network: http, not https
  if (noMic) {
    preview.updateStart();
    $("#try-input-device").disabled = true;
    $("#try-live-status").textContent = `No microphone here: ${noMic}. Try a sound file below.`;
  }
  $("#try-input-device").addEventListener("change", () => { if (preview.running) preview.restart(); });
  filePredictor({
    zone: $("#try-drop"), input: $("#try-file"), out: $("#try-result"),
    model: () => ({ labels: info.labels, predict: (file) => api.tryPredict(token, file) }),
  });
  listInputs($("#try-input-device")).catch(() => {});
  document.body.dataset.ready = "true";
}

boot();
