// Microphone capture (getUserMedia → AudioWorklet posting raw Float32 PCM), WAV encoding,
// a ring buffer of recent audio, the level meter and the scrolling live spectrogram.
// Audio is never resampled here: the server resamples, in one place.

import { magma } from "./spectrum.js";
import { h } from "./ui.js";

export const CONSTRAINTS = { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 };
export const CLIP_PEAK = 0.99;
/** Seconds of exact zeros an opening device may send before its first sound (Firefox through
 *  PulseAudio sent 0.6 s; Chromium 10–40 ms). They are dropped, so that a take started at once
 *  does not begin in digital silence; a device silent for longer than this is heard as it is. */
const WARM_UP_S = 1.5;

/** One microphone per page; screens subscribe to its PCM frames.
 *  Whoever needs it holds it (hold(who) opens it, release(who) lets go): it closes when the last
 *  holder lets go, so the browser's "microphone in use" light goes out when nothing listens. */
/** What to tell the user when getUserMedia refuses (`err`, a DOMException), by its name. */
export function micRefusal(err) {
  const name = err && err.name;
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "cannot open the microphone: no microphone was found. Connect one (or choose another input device) and try again.";
  }
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "cannot open the microphone: access to it was refused. Allow microphone access for this page "
      + "(the icon in the address bar, or the browser's site settings) and try again.";
  }
  if (name === "NotReadableError" || name === "AbortError") {
    return "cannot open the microphone: it is in use by another program, or the system would not open it. "
      + "Close the other program (or choose another input device) and try again.";
  }
  return `cannot open the microphone: ${(err && (err.message || err.name)) || err}.`;
}

export class Mic {
  constructor() {
    this.ctx = null;
    this.stream = null;
    this.node = null;
    this.analyser = null;
    this.deviceId = "";
    this.listeners = new Set();
    this.starting = null;
    this.holders = new Set();
    this.watchers = new Set();
    this.warmUp = 0; // samples of opening silence still to drop (see WARM_UP_S)
  }

  /** Open the microphone (see start) on behalf of `who` ("monitor", "recording", "preview"). */
  async hold(who, deviceId = this.deviceId) {
    await this.start(deviceId);
    this.holders.add(who);
    this._changed();
    return this;
  }

  /** `who` no longer needs the microphone; the last to let go closes it. */
  release(who) {
    this.holders.delete(who);
    if (!this.holders.size) this.stop();
    this._changed();
  }

  /** Call fn() whenever the microphone opens, closes or changes holders. */
  watch(fn) {
    this.watchers.add(fn);
  }

  _changed() {
    for (const fn of this.watchers) fn(this);
  }

  get running() {
    return Boolean(this.stream);
  }

  get sampleRate() {
    return this.ctx ? this.ctx.sampleRate : null;
  }

  /** What the browser says about the device: {sampleRate, channelCount, label, ...}. */
  trackInfo() {
    const track = this.stream && this.stream.getAudioTracks()[0];
    if (!track) return null;
    return { label: track.label, ...(track.getSettings ? track.getSettings() : {}) };
  }

  /** Start (or restart on another device). Call from a click handler: it resumes the context. */
  async start(deviceId = this.deviceId) {
    if (this.running && deviceId === this.deviceId) {
      await this.ctx.resume();
      return this;
    }
    if (this.starting) return this.starting;
    this.starting = this._start(deviceId).finally(() => { this.starting = null; });
    return this.starting;
  }

  async _start(deviceId) {
    this._close(); // another device: its holders still hold the new one
    const unavailable = micUnavailable();
    if (unavailable) throw new Error(unavailable);
    const audio = { ...CONSTRAINTS };
    if (deviceId) audio.deviceId = { exact: deviceId };
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio });
    } catch (err) {
      throw new Error(micRefusal(err));
    }
    let ctx, source;
    try {
      ({ ctx, source } = await openGraph(stream));
    } catch (err) {
      for (const t of stream.getTracks()) t.stop();
      throw new Error(`cannot listen to the microphone: ${err.message || err.name}`);
    }
    const node = new AudioWorkletNode(ctx, "earmark-recorder", {
      numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1],
      processorOptions: { frameSize: 1024 },
    });
    node.port.onmessage = (event) => this._frame(event.data);
    const silent = ctx.createGain();
    silent.gain.value = 0;
    source.connect(node).connect(silent).connect(ctx.destination);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    analyser.smoothingTimeConstant = 0;
    source.connect(analyser);
    Object.assign(this, { ctx, stream, node, analyser, source, deviceId, warmUp: WARM_UP_S * ctx.sampleRate });
    return this;
  }

  _frame(frame) {
    if (this.warmUp > 0) { // still opening: a real input is never exactly zero
      if (frame.every((v) => v === 0)) {
        this.warmUp -= frame.length;
        return;
      }
      this.warmUp = 0;
    }
    for (const fn of this.listeners) fn(frame);
  }

  /** Subscribe to Float32 frames; returns the unsubscribe function. */
  listen(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Close the microphone now, whoever holds it (the holders are told through watch). */
  stop() {
    const was = this.running;
    this._close();
    this.holders.clear();
    if (was) this._changed();
  }

  _close() {
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
    if (this.node) this.node.port.onmessage = null;
    if (this.ctx) this.ctx.close().catch(() => {});
    Object.assign(this, { ctx: null, stream: null, node: null, analyser: null, source: null });
  }
}

export const mic = new Mic();

/** Why this page can have no microphone (browsers give one only to https pages and pages of
 *  this computer: http://localhost, http://127.0.0.1), or null when it can ask for one. */
export function micUnavailable() {
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) return null;
  return window.isSecureContext
    ? "this browser gives this page no microphone"
    : `browsers give the microphone only to https pages and pages on this computer (localhost), ` +
      `and this page is at ${location.origin}`;
}

/**
 * An AudioContext with the recorder worklet loaded and the stream as its source. The context
 * is made at the browser's own rate: Chrome and Safari resample a microphone to any context
 * rate, but Firefox refuses a stream whose rate differs from a context rate set by the page
 * ("NotSupportedError", Mozilla bugs 1674892 and 1725336). Should a browser still refuse, the
 * context is made again at the rate the track reports. Either way the page sends audio at
 * `ctx.sampleRate` and the server resamples it (one place).
 */
async function openGraph(stream) {
  const attempt = async (options) => {
    const ctx = new AudioContext(options);
    try {
      await ctx.resume();
      await ctx.audioWorklet.addModule(new URL("./recorder-worklet.js", import.meta.url));
      return { ctx, source: ctx.createMediaStreamSource(stream) };
    } catch (err) {
      ctx.close().catch(() => {});
      throw err;
    }
  };
  try {
    return await attempt(undefined);
  } catch (err) {
    const rate = stream.getAudioTracks()[0]?.getSettings().sampleRate;
    if (err.name !== "NotSupportedError" || !rate) throw err;
    return attempt({ sampleRate: rate });
  }
}

/** Fill a <select> with the audio inputs; labels appear once the microphone was allowed. */
export async function listInputs(select) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
  const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "audioinput");
  const current = select.value || mic.deviceId;
  select.replaceChildren(h("option", { value: "" }, "Default input"));
  devices.forEach((d, i) => {
    if (!d.deviceId || d.deviceId === "default") return;
    select.append(h("option", { value: d.deviceId }, d.label || `Input ${i + 1}`));
  });
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

/** A short line about the running device: "44100 Hz · device 44100 Hz, 2 ch · Fake Default Audio Input". */
export function deviceLine() {
  if (!mic.running) return "microphone off";
  const info = mic.trackInfo() || {};
  const parts = [`capturing at ${mic.sampleRate} Hz`];
  const device = [];
  if (info.sampleRate) device.push(`${info.sampleRate} Hz`);
  if (info.channelCount) device.push(`${info.channelCount} ch`);
  if (device.length) parts.push(`device reports ${device.join(", ")}`);
  if (info.label) parts.push(info.label);
  return parts.join(" · ");
}

/** Join Float32Array chunks into one. */
export function concat(chunks) {
  const n = chunks.reduce((sum, c) => sum + c.length, 0);
  const out = new Float32Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Encode mono float samples as a 16-bit PCM WAV Blob at `sampleRate` (no resampling). */
export function encodeWav(samples, sampleRate) {
  const buffer = new ArrayBuffer(44 + samples.length * 2);
  const view = new DataView(buffer);
  const text = (at, s) => { for (let i = 0; i < s.length; i++) view.setUint8(at + i, s.charCodeAt(i)); };
  text(0, "RIFF");
  view.setUint32(4, 36 + samples.length * 2, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + 2 * i, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return new Blob([buffer], { type: "audio/wav" });
}

/** The last `seconds` of audio, kept in a fixed array. */
export class RingBuffer {
  constructor(seconds, sampleRate) {
    this.sampleRate = sampleRate; // kept with the audio: the microphone may be closed when it is read
    this.data = new Float32Array(Math.round(seconds * sampleRate));
    this.at = 0;
    this.filled = 0;
  }

  push(frame) {
    const n = this.data.length;
    for (let i = 0; i < frame.length; i++) {
      this.data[this.at] = frame[i];
      this.at = (this.at + 1) % n;
    }
    this.filled = Math.min(n, this.filled + frame.length);
  }

  /** The kept audio, oldest first. */
  read() {
    const n = this.data.length;
    const out = new Float32Array(this.filled);
    const start = (this.at - this.filled + n) % n;
    for (let i = 0; i < this.filled; i++) out[i] = this.data[(start + i) % n];
    return out;
  }
}

/**
 * A level meter in `container`: a bar and a clipping warning that lights for 1.5 s after any
 * peak ≥ 0.99. Each meter keeps its own peak, from its own subscription to the microphone.
 * While active() is false (default: the microphone is off) it shows silence: empty, "– dB".
 */
export function levelMeter(container, active = () => mic.running) {
  const fill = h("div", { class: "meter-fill" });
  const readout = h("span", { class: "meter-db" }, "– dB");
  const clip = h("span", { class: "meter-clip", "data-testid": "clip-warning", hidden: true },
    "Clipping! Move away from the microphone or turn the input down.");
  container.replaceChildren(h("div", { class: "meter-track", role: "meter", "aria-label": "Input level" }, fill), readout, clip);
  let peak = 0;
  mic.listen((frame) => {
    for (let i = 0; i < frame.length; i++) {
      const a = Math.abs(frame[i]);
      if (a > peak) peak = a;
    }
  });
  let shown = 0;
  let clipUntil = 0;
  const tick = (now) => {
    requestAnimationFrame(tick);
    const on = mic.running && active();
    const p = on ? peak : 0;
    peak = 0;
    if (!on) shown = clipUntil = 0;
    if (p >= CLIP_PEAK) clipUntil = now + 1500;
    shown = Math.max(p, shown * 0.9);
    if (container.offsetParent === null) return; // hidden: keep counting, skip drawing
    const db = 20 * Math.log10(Math.max(shown, 1e-5));
    fill.style.width = `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100)).toFixed(1)}%`;
    fill.classList.toggle("hot", db > -6);
    container.dataset.peak = shown.toFixed(4);
    readout.textContent = on ? `${db.toFixed(0)} dB` : "– dB";
    clip.hidden = now > clipUntil;
  };
  requestAnimationFrame(tick);
}

/** A scrolling spectrogram of the microphone (AnalyserNode → canvas), log-frequency rows. */
export function liveSpectrogram(canvas) {
  const g = canvas.getContext("2d");
  g.fillStyle = "#0b0b14";
  g.fillRect(0, 0, canvas.width, canvas.height);
  let bins = null;
  const lut = Array.from({ length: 256 }, (_, v) => `rgb(${magma(v / 255).join(",")})`);
  const tick = () => {
    requestAnimationFrame(tick);
    const analyser = mic.analyser;
    if (!analyser || canvas.offsetParent === null) return;
    if (!bins || bins.length !== analyser.frequencyBinCount) bins = new Uint8Array(analyser.frequencyBinCount);
    analyser.getByteFrequencyData(bins);
    const { width, height } = canvas;
    const step = 2;
    g.drawImage(canvas, step, 0, width - step, height, 0, 0, width - step, height);
    const nyquist = mic.sampleRate / 2;
    const fLo = 30;
    const fHi = Math.min(16000, nyquist);
    for (let y = 0; y < height; y++) {
      const f = fLo * Math.pow(fHi / fLo, 1 - y / height); // top row = high frequency
      const bin = Math.min(bins.length - 1, Math.round((f / nyquist) * bins.length));
      g.fillStyle = lut[bins[bin]];
      g.fillRect(width - step, y, step, 1);
    }
  };
  requestAnimationFrame(tick);
}
