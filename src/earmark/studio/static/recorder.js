// Recording into a class: short samples one after another, or one long take the server cuts.
// PCM comes from the AudioWorklet at the context's own rate and is sent as WAV, unresampled.

import { concat, deviceLine, encodeWav, levelMeter, listInputs, mic } from "./audio.js";
import { showUploadResult, uploadTo } from "./samples.js";
import { state } from "./state.js";
import { $, busy, showError, takeId, toast } from "./ui.js";

let session = null; // the recording in progress: {mode, stop(), ...}

function setStatus(text) {
  $("#rec-status").textContent = text;
}

function setProgress(fraction) {
  $("#rec-progress").style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
}

export async function startMic(deviceId) {
  await mic.start(deviceId ?? $("#input-device").value);
  await listInputs($("#input-device"));
  updateDeviceLine();
  return mic;
}

function updateDeviceLine() {
  $("#device-rate").textContent = deviceLine();
  $("#mic-btn").textContent = mic.running ? "Mic off" : "Mic on";
  $("#mic-btn").setAttribute("aria-label", mic.running ? "Turn the microphone off" : "Turn the microphone on");
}

/** Record `count` clips of `length_s` back to back; resolves with [Float32Array]. */
function recordShort(count, lengthS) {
  const perClip = Math.round(lengthS * mic.sampleRate);
  const clips = [];
  let current = [];
  let have = 0;
  return new Promise((resolve) => {
    const finish = () => {
      unlisten();
      if (have > perClip / 4) clips.push(concat(current).subarray(0, perClip));
      resolve(clips);
    };
    const unlisten = mic.listen((frame) => {
      let at = 0;
      while (at < frame.length) {
        const take = Math.min(frame.length - at, perClip - have);
        current.push(frame.slice(at, at + take));
        have += take;
        at += take;
        if (have >= perClip) {
          clips.push(concat(current));
          current = [];
          have = 0;
          if (clips.length >= count) {
            unlisten();
            resolve(clips);
            return;
          }
        }
      }
      setStatus(`Recording sample ${clips.length + 1} of ${count}…`);
      setProgress((clips.length + have / perClip) / count);
    });
    session.stop = finish;
  });
}

/** Record until stopped; resolves with one Float32Array. */
function recordLong() {
  const chunks = [];
  const started = performance.now();
  return new Promise((resolve) => {
    const unlisten = mic.listen((frame) => {
      chunks.push(frame.slice());
      const s = (performance.now() - started) / 1000;
      setStatus(`Recording… ${s.toFixed(1)} s`);
      setProgress((s % 10) / 10);
    });
    session.stop = () => {
      unlisten();
      resolve(concat(chunks));
    };
  });
}

async function record() {
  const className = state.selectedClass;
  if (!className) throw new Error("add or pick a class first");
  await startMic();
  const mode = $("#mode-long").checked ? "long" : "short";
  const recording = takeId("take");
  const rate = mic.sampleRate;
  session = { mode, stop: () => {} };
  $("#record-btn").disabled = true;
  $("#stop-btn").disabled = false;
  document.body.classList.add("recording");
  try {
    let files;
    let fields = { recording };
    if (mode === "short") {
      const count = Math.max(1, Math.min(50, parseInt($("#rec-count").value, 10) || 5));
      const lengthS = Math.max(0.2, parseFloat($("#rec-length").value) || 1);
      const clips = await recordShort(count, lengthS);
      files = clips.map((clip, i) => [encodeWav(clip, rate), `${recording}-${String(i + 1).padStart(3, "0")}.wav`]);
    } else {
      const audio = await recordLong();
      files = audio.length ? [[encodeWav(audio, rate), `${recording}.wav`]] : [];
      fields = { ...fields, clip_s: parseFloat($("#rec-clip").value) || 1 };
    }
    if (!files.length) {
      setStatus("Nothing recorded.");
      return;
    }
    setStatus(`Saving ${files.length} file(s) to ${className}…`);
    const result = await uploadTo(className, files, fields);
    showUploadResult(result);
    setStatus(`Saved ${result.added.length} sample(s) from ${recording} (${rate} Hz).`);
    toast(`Recorded ${result.added.length} sample(s) into ${className}.`);
  } finally {
    session = null;
    $("#record-btn").disabled = false;
    $("#stop-btn").disabled = true;
    document.body.classList.remove("recording");
    setProgress(0);
  }
}

export function initRecorder() {
  levelMeter($("#level-meter"));
  $("#mic-btn").addEventListener("click", (e) => busy(e.currentTarget, async () => {
    if (mic.running) {
      if (session) session.stop();
      mic.stop();
    } else {
      await startMic();
    }
    updateDeviceLine();
  }));
  $("#input-device").addEventListener("change", (e) => {
    if (mic.running) busy(e.target, () => startMic(e.target.value));
  });
  for (const radio of [$("#mode-short"), $("#mode-long")]) {
    radio.addEventListener("change", () => {
      $("#short-options").hidden = !$("#mode-short").checked;
      $("#long-options").hidden = !$("#mode-long").checked;
    });
  }
  $("#record-btn").addEventListener("click", () => {
    record().catch((err) => {
      setStatus(`Recording failed: ${err.message}`);
      showError(err);
    });
  });
  $("#stop-btn").addEventListener("click", () => {
    if (session) session.stop();
  });
  listInputs($("#input-device")).catch(() => {});
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener("devicechange", () => listInputs($("#input-device")).catch(() => {}));
  }
}
