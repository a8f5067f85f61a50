// Live preview: microphone → AudioWorklet → WebSocket (float32 PCM every ~50 ms) → probability bars;
// a scrolling live spectrogram; the last 2 s kept so a misfire can go straight into a class.

import { api } from "./api.js";
import { encodeWav, levelMeter, liveSpectrogram, mic } from "./audio.js";
import { startMic } from "./recorder.js";
import { uploadTo } from "./samples.js";
import { KEEP_S, rateCounter, streamToSocket } from "./socket.js";
import { bindModelSelect, modelInfo, on, state } from "./state.js";
import { $, busy, displayName, h, probabilityBars, showError, takeId, toast } from "./ui.js";

let live = null;

function stopLive(reason) {
  if (live) live.stop();
  live = null;
  $("#live-start-btn").disabled = false;
  $("#live-stop-btn").disabled = true;
  $("#live-status").textContent = reason || "stopped";
  $("#live-status").dataset.state = "stopped";
}

async function startLive() {
  const modelId = state.selectedModel;
  const model = modelInfo(modelId);
  if (!model) throw new Error("train or import a model first, then pick it here");
  stopLive();
  $("#live-status").textContent = "opening the microphone…";
  await startMic();
  const update = probabilityBars($("#live-bars"), model.labels);
  const count = rateCounter();
  $("#live-start-btn").disabled = true;
  $("#live-stop-btn").disabled = false;
  $("#save-misfire-btn").disabled = false;
  $("#live-status").textContent = "connecting…";
  live = streamToSocket(api.liveUrl(state.projectId, modelId), {
    onOpen: () => {
      $("#live-status").textContent = `listening at ${mic.sampleRate} Hz with ${modelId}`;
      $("#live-status").dataset.state = "listening";
    },
    onResult: (msg) => {
      const best = update(msg.probabilities || {});
      const label = msg.label || best;
      const el = $("#live-label");
      el.textContent = displayName(label);
      el.dataset.label = label;
      $("#live-rate").textContent = `${count().toFixed(1)} updates/s · ${Number(msg.time_s ?? 0).toFixed(1)} s heard`;
    },
    onClose: (reason) => {
      stopLive(`stopped: ${reason}`);
      showError(new Error(`Live preview stopped: ${reason}`));
    },
  });
}

function fillMisfireClasses() {
  const select = $("#misfire-class");
  const before = select.value;
  const classes = (state.project && state.project.classes) || [];
  select.replaceChildren(...classes.map((c) => h("option", { value: c.name }, c.display_name || c.name)));
  if (classes.some((c) => c.name === before)) select.value = before;
}

async function saveMisfire() {
  if (!live) throw new Error("start the live preview first");
  const audio = live.ring.read();
  if (audio.length < mic.sampleRate * 0.25) throw new Error("nothing heard yet: wait a moment and try again");
  const className = $("#misfire-class").value;
  const recording = takeId("live");
  const result = await uploadTo(className, [[encodeWav(audio, mic.sampleRate), `${recording}.wav`]], { recording, clip_s: KEEP_S });
  const n = (result.added || []).length;
  $("#misfire-status").textContent = `Saved ${(audio.length / mic.sampleRate).toFixed(1)} s into ${className} (${n} sample${n === 1 ? "" : "s"}).`;
  toast(`Saved the last ${KEEP_S} s into ${className}.`);
}

export function initLive() {
  bindModelSelect($("#live-model"));
  levelMeter($("#live-meter"));
  liveSpectrogram($("#live-spectrogram"));
  $("#live-start-btn").addEventListener("click", (e) => busy(e.currentTarget, startLive).then(() => {
    if (live) $("#live-start-btn").disabled = true;
  }));
  $("#live-stop-btn").addEventListener("click", () => stopLive());
  $("#save-misfire-btn").addEventListener("click", (e) => busy(e.currentTarget, saveMisfire));
  on("project", (project, { switched }) => {
    fillMisfireClasses();
    if (switched) stopLive();
  });
  on("model", () => { if (live) stopLive("stopped: the model changed"); });
  fillMisfireClasses();
}
