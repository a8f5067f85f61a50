// Recording into a class: short samples one after another, or one long take the server cuts.
// PCM comes from the AudioWorklet at the context's own rate and is sent as WAV, unresampled.

import { concat, deviceLine, encodeWav, levelMeter, listInputs, mic } from "./audio.js";
import { uploadTo } from "./samples.js";
import { classLabel, state } from "./state.js";
import { $, busy, clause, focusLost, h, readNumber, showError, takeId, toast } from "./ui.js";

let session = null; // the recording in progress: {mode, stop(), ...}

/** The class the take in progress goes to (picked when Record was pressed), as the page names it. */
const into = () => (session ? classLabel(session.className) : "");

function setStatus(text) {
  $("#rec-status").textContent = text;
}

function setProgress(fraction) {
  const percent = Math.max(0, Math.min(1, fraction)) * 100;
  $("#rec-progress").style.width = `${percent}%`;
  $("#rec-progress-bar").setAttribute("aria-valuenow", String(Math.round(percent)));
}

/** Open the microphone for `who` (see Mic.hold) on the chosen input; fills the input list. */
export async function startMic(who, deviceId) {
  await mic.hold(who, deviceId ?? $("#input-device").value);
  await listInputs($("#input-device"));
  updateDeviceLine();
  return mic;
}

function updateDeviceLine() {
  $("#device-rate").textContent = deviceLine();
  $("#mic-btn").textContent = mic.running ? "Turn mic off" : "Turn mic on";
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
      setStatus(`Recording sample ${clips.length + 1} of ${count} into ${into()}…`);
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
      setStatus(`Recording into ${into()}… ${s.toFixed(1)} s`);
      setProgress((s % 10) / 10);
    });
    session.stop = () => {
      unlisten();
      resolve(concat(chunks));
    };
  });
}

// Takes the server did not keep (an upload that failed): kept in memory, with Retry and Download,
// until they are saved or the user discards them. Nothing recorded is thrown away on an error.
const unsaved = new Map(); // take id → {id, projectId, className, files, fields, audio, rate, row, url}

/** The server's answer to a saved take: the upload result, the status line and a toast. */
async function saveTake(take) {
  const where = `${take.set === "test" ? "the test set of " : ""}${classLabel(take.className)}`;
  setStatus(`Saving ${take.files.length} file(s) from ${take.id} to ${where}…`);
  const result = await uploadTo(take.className, take.files, take.fields, take.projectId, take.set);
  const skipped = (result.skipped || []).length;
  setStatus(`Saved ${result.added.length} sample(s) from ${take.id} (${take.rate} Hz)` +
    `${skipped ? `; skipped ${skipped}: ${result.skipped.map((x) => x.reason).join("; ")}` : ""}.`);
  toast(`Recorded ${result.added.length} sample(s) into ${take.set === "test" ? "the test set of " : ""}${classLabel(take.className)}.`);
  return result;
}

function showUnsaved() {
  const box = $("#unsaved-takes");
  box.hidden = unsaved.size === 0;
  box.replaceChildren(...[...unsaved.values()].map((t) => t.row));
}

function forget(take) {
  unsaved.delete(take.id);
  URL.revokeObjectURL(take.url);
  showUnsaved();
}

/** Keep a take whose upload failed; offer "Retry upload" and "Download the take (WAV)". */
function keepTake(take, err) {
  const seconds = take.audio.length / take.rate;
  const what = `${take.id}: ${take.files.length > 1 ? `${take.files.length} samples, ` : ""}${seconds.toFixed(1)} s for ${take.set === "test" ? "the test set of " : ""}${take.className}`;
  if (!take.row) {
    const wav = take.files.length === 1 ? take.files[0][0] : encodeWav(take.audio, take.rate);
    take.url = URL.createObjectURL(wav);
    take.message = h("p", { class: "error-text", "data-testid": "unsaved-take-error" });
    take.row = h("div", { class: "unsaved-take", "data-take": take.id, "data-testid": "unsaved-take" },
      h("p", {}, h("strong", {}, "Not saved yet"), ` · ${what}`),
      take.message,
      h("div", { class: "row" },
        h("button", { type: "button", class: "primary", "data-action": "retry", title: `Send ${take.id} to ${take.className} again`,
          onclick: (e) => busy(e.currentTarget, () => retryTake(take)) }, "Retry upload"),
        h("a", { class: "button", href: take.url, download: `${take.id}.wav`, "data-action": "download",
          title: take.files.length > 1 ? "the samples back to back, as one WAV file" : "the whole take as a WAV file" },
        "Download the take (WAV)"),
        h("button", { type: "button", class: "ghost danger small", "data-action": "discard",
          onclick: () => { if (confirm(`Throw away ${take.id}? It was not saved.`)) forget(take); } }, "Discard")));
  }
  take.message.textContent = `The upload failed: ${clause(err.message)}. The take is kept here: retry, or download it.`;
  unsaved.set(take.id, take);
  showUnsaved();
}

async function retryTake(take) {
  try {
    await saveTake(take);
  } catch (err) {
    keepTake(take, err);
    setStatus(`Not saved: ${err.message}`);
    throw err; // the error toast
  }
  forget(take);
}

/** The recording settings, checked against the inputs' limits before the microphone opens. */
function recordSettings(mode) {
  if (mode === "short") return { count: readNumber($("#rec-count"), 5), lengthS: readNumber($("#rec-length"), 1) };
  return { clipS: readNumber($("#rec-clip"), 1) };
}

async function record() {
  const className = state.selectedClass;
  if (!className) throw new Error("add or pick a class first");
  const mode = $("#mode-long").checked ? "long" : "short";
  const settings = recordSettings(mode);
  await startMic("recording");
  const recording = takeId("take");
  const rate = mic.sampleRate;
  const projectId = state.projectId;
  const set = state.sampleSet;
  session = { mode, className, stop: () => {} }; // the take goes to this class and set, whatever is picked meanwhile
  const focused = $("#record-btn") === document.activeElement || focusLost();
  $("#record-btn").disabled = true;
  $("#stop-btn").disabled = false;
  if (focused) $("#stop-btn").focus(); // Record is off while it records: its focus goes to Stop
  document.body.classList.add("recording");
  try {
    let files;
    let audio;
    let fields = { recording };
    if (mode === "short") {
      const clips = await recordShort(settings.count, settings.lengthS);
      files = clips.map((clip, i) => [encodeWav(clip, rate), `${recording}-${String(i + 1).padStart(3, "0")}.wav`]);
      audio = concat(clips);
    } else {
      audio = await recordLong();
      files = audio.length ? [[encodeWav(audio, rate), `${recording}.wav`]] : [];
      fields = { ...fields, clip_s: settings.clipS };
    }
    if (!files.length) {
      setStatus("Nothing recorded.");
      return;
    }
    const take = { id: recording, projectId, className, set, files, fields, audio, rate };
    try {
      await saveTake(take);
    } catch (err) {
      keepTake(take, err);
      setStatus(`Not saved: ${clause(err.message)}. The take is kept below.`);
      showError(err);
    }
  } finally {
    session = null;
    mic.release("recording"); // closes it unless "Turn mic on" (or the live preview) holds it
    const stopFocused = $("#stop-btn") === document.activeElement || focusLost();
    $("#record-btn").disabled = false;
    $("#stop-btn").disabled = true;
    if (stopFocused) $("#record-btn").focus();
    document.body.classList.remove("recording");
    setProgress(0);
  }
}

export function initRecorder() {
  levelMeter($("#level-meter"));
  mic.watch(updateDeviceLine);
  $("#mic-btn").addEventListener("click", (e) => busy(e.currentTarget, async () => {
    if (mic.running) {
      if (session) session.stop();
      mic.stop(); // off means off: a recording ends, the live preview stops (it watches the mic)
    } else {
      await startMic("monitor");
    }
    updateDeviceLine();
  }));
  $("#input-device").addEventListener("change", (e) => {
    if (mic.running) busy(e.target, () => mic.start(e.target.value).then(updateDeviceLine));
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
  window.addEventListener("beforeunload", (e) => {
    // a take being recorded, one still being saved, or one whose upload failed: ask before leaving
    if (!session && !unsaved.size) return;
    e.preventDefault();
    e.returnValue = "";
  });
  listInputs($("#input-device")).catch(() => {});
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener("devicechange", () => listInputs($("#input-device")).catch(() => {}));
  }
}
