// The studio's live preview (preview.js, on the selected model) and, from the last 2 s it kept,
// "that was wrong": a misfire goes straight into a class.

import { api } from "./api.js";
import { encodeWav, levelMeter, liveSpectrogram } from "./audio.js";
import { LivePreview } from "./preview.js";
import { startMic } from "./recorder.js";
import { uploadTo } from "./samples.js";
import { KEEP_S } from "./socket.js";
import { bindModelSelect, classLabel, fillClassSelect, modelInfo, on, state } from "./state.js";
import { $, busy, takeId, toast } from "./ui.js";

let preview = null;

async function saveMisfire() {
  const ring = preview.ring;
  if (!ring) throw new Error("start the live preview first");
  const audio = ring.read();
  const rate = ring.sampleRate;
  if (audio.length < rate * 0.25) throw new Error("nothing heard yet: wait a moment and try again");
  const className = $("#misfire-class").value;
  const recording = takeId("live");
  const result = await uploadTo(className, [[encodeWav(audio, rate), `${recording}.wav`]], { recording, clip_s: KEEP_S },
    state.projectId, "training"); // a misfire is for training again, whatever the Samples screen shows
  const n = (result.added || []).length;
  $("#misfire-status").textContent = `Saved ${(audio.length / rate).toFixed(1)} s into ${classLabel(className)} (${n} sample${n === 1 ? "" : "s"}).`;
  toast(`Saved the last ${KEEP_S} s into ${classLabel(className)}.`);
}

export function initLive() {
  bindModelSelect($("#live-model"));
  levelMeter($("#live-meter"), () => Boolean(preview && preview.running));
  liveSpectrogram($("#live-spectrogram"));
  preview = new LivePreview({
    start: $("#live-start-btn"), stop: $("#live-stop-btn"), status: $("#live-status"),
    label: $("#live-label"), bars: $("#live-bars"), rate: $("#live-rate"),
  }, {
    name: "Live preview",
    openMic: () => startMic("preview"),
    target: () => {
      const model = modelInfo();
      if (!model) throw new Error("train or import a model first, then pick it here");
      return { url: api.liveUrl(state.projectId, model.id), labels: model.labels, model: model.id };
    },
    onChange: () => { $("#save-misfire-btn").disabled = !preview.ring; }, // after Stop too: the last 2 s stay
    canStart: () => Boolean(modelInfo()),
  }).bind();
  const noModel = () => {
    $("#live-no-model").hidden = Boolean(modelInfo());
    preview.updateStart();
  };
  $("#save-misfire-btn").addEventListener("click", (e) => busy(e.currentTarget, saveMisfire).then(() => {
    $("#save-misfire-btn").disabled = !preview.ring;
  }));
  on("project", (project, { switched }) => {
    fillClassSelect($("#misfire-class"));
    if (switched) {
      preview.stop();
      preview.forget();
      $("#save-misfire-btn").disabled = true;
    }
    noModel();
  });
  on("model", () => {
    if (preview.running) preview.stop("stopped: the model changed");
    noModel();
  });
  // its bars and label live on the Try tab: leaving it stops listening (and frees the microphone)
  on("tab", (tab) => { if (tab !== "try" && preview.running) preview.stop("stopped: you left the Try tab"); });
  fillClassSelect($("#misfire-class"));
  noModel();
}
