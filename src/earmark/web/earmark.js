// earmark in a web page: run a sound model exported with `earmark export MODEL --web FOLDER` in the
// browser, with onnxruntime-web (WebAssembly). No server is involved: the audio never leaves the page.
//
//   import { loadModel } from "./earmark.js";
//   const model = await loadModel("./");                  // the folder holding model.json and model.onnx
//   const result = await model.classifyFile(file);        // {label, confidence, probabilities}
//   const stop = await model.listen((r) => show(r));      // the microphone, a result every 0.25 s
//
// "onnxruntime-web" is resolved by the page's import map (index.html) or by a bundler
// (`npm install onnxruntime-web`). Labels, rate, window and hop come from model.json; a clip is
// labelled as earmark labels it (model.json's "clip_rule"), so the page agrees with
// `earmark predict` on the same samples.

import * as ort from "onnxruntime-web";

/** Microphone settings for music: the browser's voice processing off, so the model hears the sound as it is. */
const RAW_AUDIO = { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 };
/** Windows scored in one run: memory stays small however long the clip (earmark scores 256 at a time too). */
const BATCH = 256;
/**
 * Seconds of sound `listen` hears before its first result (or the model's window, if shorter); until
 * a whole window is heard, what was heard is repeated to fill it, as earmark's StreamingClassifier does.
 */
export const MIN_HEARD_S = 0.25;
/** Sample rates a clip may have, in whole Hz: earmark's own (waveform.MIN_SAMPLE_RATE, MAX_SAMPLE_RATE). */
const MIN_RATE = 1000;
const MAX_RATE = 768000;
/** The slowest rate a browser decodes or renders audio at, in Hz. */
const BROWSER_MIN_RATE = 3000;
/** The loudest sample a clip may hold: past ±1, but not by 60 dB (earmark's waveform.MAX_SAMPLE_VALUE). */
const MAX_VALUE = 1000;

/**
 * Load the exported model in the folder at `base` (a URL, relative to the page; "./" by default).
 * @returns {Promise<SoundModel>}
 */
export async function loadModel(base = "./") {
  const folder = new URL(base, globalThis.location ? globalThis.location.href : undefined);
  const response = await fetch(new URL("model.json", folder));
  if (!response.ok) throw new Error(`cannot load ${response.url}: HTTP ${response.status}; is the exported folder served here?`);
  const info = await response.json();
  if (info.format !== "earmark-web" || info.version !== 1) {
    throw new Error(`${response.url} is not an earmark web export this page can read (format ${info.format}, version ${info.version})`);
  }
  // one thread: several need a cross-origin-isolated page (COOP/COEP headers), which most hosts do not send
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(new URL(info.onnx, folder).href);
  return new SoundModel(info, session);
}

/**
 * A loaded model. Its methods resolve to {label, confidence, probabilities: {label: p}, unsure}: unsure
 * is true when the model is less sure than its sure level (how sure it was of 95 % of its right
 * validation answers: below it, worth a listen), null when model.json states no level.
 */
export class SoundModel {
  constructor(info, session) {
    this.info = info;
    this.labels = info.labels;
    this.sampleRate = info.sample_rate;
    this.windowSamples = info.window_samples;
    this.hopSamples = info.hop_samples;
    this.backgroundLabel = info.background_label;
    this.sureLevel = info.sure_level ?? null;
    this.session = session;
    this.queue = Promise.resolve(); // onnxruntime-web runs one inference per session at a time
  }

  /** Probabilities of each window: `windows` holds `count` windows of windowSamples, one after another. */
  scoreWindows(windows, count) {
    const run = this.queue.then(async () => {
      const input = new ort.Tensor("float32", windows, [count, this.windowSamples]);
      const output = await this.session.run({ waveform: input });
      const data = output.probabilities.data;
      const n = this.labels.length;
      return Array.from({ length: count }, (_, i) => data.subarray(i * n, (i + 1) * n));
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Label a clip: mono Float32Array `samples` at `rate` Hz (resampled here when it is not the model's).
   * The clip rule of earmark: windows every hop while they fit, plus one ending with the clip; a
   * short clip is zero-padded (a one-shot, as training shows them); the windows' probabilities
   * averaged, each weighted by its loudness
   * relative to the loudest window (at least 0.05), so a drum hit's silent tail does not outvote it.
   */
  async classify(samples, rate = this.sampleRate) {
    checkClip(samples, rate);
    if (rate !== this.sampleRate) samples = await resample(samples, rate, this.sampleRate);
    const window = this.windowSamples;
    if (samples.length < window) samples = fit(samples, window);
    const starts = [];
    for (let s = 0; s + window <= samples.length; s += this.hopSamples) starts.push(s);
    if (starts[starts.length - 1] + window < samples.length) starts.push(samples.length - window);
    const loudness = new Float64Array(starts.length);
    const scores = [];
    for (let first = 0; first < starts.length; first += BATCH) { // a few at a time: an hour of audio fits
      const batch = starts.slice(first, first + BATCH);
      const windows = new Float32Array(batch.length * window);
      batch.forEach((s, i) => {
        const part = samples.subarray(s, s + window);
        windows.set(part, i * window);
        let sum = 0;
        for (const v of part) sum += v * v;
        loudness[first + i] = Math.sqrt(sum / window) + 1e-12;
      });
      // copies: the results of one run are reused by the next
      for (const p of await this.scoreWindows(windows, batch.length)) scores.push(Float32Array.from(p));
    }
    const loudest = loudness.reduce((a, b) => Math.max(a, b), 0);
    const mean = new Float64Array(this.labels.length);
    let total = 0;
    scores.forEach((p, i) => {
      const weight = Math.min(1, Math.max(0.05, loudness[i] / loudest));
      total += weight;
      p.forEach((v, k) => { mean[k] += weight * v; });
    });
    return this._result(Array.from(mean, (v) => v / total));
  }

  /** Label an audio file (a File or Blob in any format the browser decodes: WAV, MP3, OGG, FLAC, M4A...). */
  async classifyFile(file) {
    if (!file || typeof file.arrayBuffer !== "function") {
      const hint = isSamples(file) ? "; to label samples, use classify(samples, rate)" : "";
      throw new Error(`classifyFile needs a File or Blob (e.g. from an <input type=file> or a drop), got ${describe(file)}${hint}`);
    }
    const bytes = await file.arrayBuffer();
    // decoding into a context at the model's rate resamples with the browser's own resampler
    const context = new OfflineAudioContext(1, 1, this.sampleRate);
    let buffer;
    try {
      buffer = await context.decodeAudioData(bytes);
    } catch (err) {
      throw new Error(`cannot decode ${file.name || "this file"} as audio (${err.message || err.name}); try a WAV, MP3, OGG or FLAC file`);
    }
    return this.classify(mixDown(buffer), this.sampleRate);
  }

  /**
   * Listen to the microphone: `onResult(result)` with each new result (`result.time_s`: seconds since
   * it started), every `everyS` seconds, on the last window of sound. The first comes once MIN_HEARD_S
   * is heard; until a whole window is heard, the sound heard so far is repeated to fill it (never
   * silence: the step from silence into sound sounds like a drum hit). Call from a click handler
   * (browsers start audio only after a gesture). Resolves to a function that stops listening.
   */
  async listen(onResult, { everyS = 0.25, deviceId = "" } = {}) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("this browser gives no microphone to this page: open it over https, or from localhost");
    }
    const audio = deviceId ? { ...RAW_AUDIO, deviceId: { exact: deviceId } } : RAW_AUDIO;
    const stream = await navigator.mediaDevices.getUserMedia({ audio });
    let context = null;
    let node = null;
    const stop = () => {
      if (node) node.port.onmessage = null;
      for (const track of stream.getTracks()) track.stop();
      if (context) context.close().catch(() => {});
    };
    try {
      // the context runs at the device's own rate (Firefox refuses another): windows are resampled here
      context = new AudioContext();
      await context.resume();
      await context.audioWorklet.addModule(new URL("./earmark-capture.js", import.meta.url));
      const rate = context.sampleRate;
      const span = Math.round((this.windowSamples / this.sampleRate) * rate);
      const ring = new Float32Array(span);
      let heard = 0; // samples received
      let next = Math.max(Math.round(everyS * rate), Math.min(span, Math.round(MIN_HEARD_S * rate)));
      let busy = false;
      node = new AudioWorkletNode(context, "earmark-capture", { numberOfOutputs: 1, outputChannelCount: [1] });
      const listening = node;
      node.port.onmessage = ({ data }) => {
        for (const v of data) ring[heard++ % span] = v;
        if (heard < next || busy) return;
        next = heard + Math.round(everyS * rate);
        const last = lastWindow(ring, heard);
        const time = heard / rate;
        busy = true;
        resample(last, rate, this.sampleRate)
          .then((window) => this.scoreWindows(fit(window, this.windowSamples), 1))
          .then(([p]) => { if (listening.port.onmessage) onResult({ ...this._result(Array.from(p)), time_s: time }); })
          .catch((err) => console.error("earmark:", err))
          .finally(() => { busy = false; });
      };
      const source = context.createMediaStreamSource(stream);
      const mute = context.createGain();
      mute.gain.value = 0; // the graph must reach the speakers to run; nothing is heard
      source.connect(node).connect(mute).connect(context.destination);
    } catch (err) {
      stop(); // the microphone goes off again: nothing listens
      throw err;
    }
    return stop;
  }

  _result(probabilities) {
    let best = 0;
    probabilities.forEach((p, k) => { if (p > probabilities[best]) best = k; });
    return {
      label: this.labels[best],
      confidence: probabilities[best],
      probabilities: Object.fromEntries(this.labels.map((label, k) => [label, probabilities[k]])),
      unsure: this.sureLevel === null ? null : probabilities[best] < this.sureLevel,
    };
  }
}

/** The mean of an AudioBuffer's channels. */
function mixDown(buffer) {
  const out = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const channel = buffer.getChannelData(c);
    for (let i = 0; i < out.length; i++) out[i] += channel[i] / buffer.numberOfChannels;
  }
  return out;
}

/**
 * The last window in the ring buffer `ring` after `heard` samples, oldest sample first. Before a whole
 * window is heard, the samples heard so far, repeated to fill it and ending with the latest one.
 */
export function lastWindow(ring, heard) {
  const span = ring.length;
  if (heard < span) return loopTo(ring.subarray(0, heard), span);
  const last = new Float32Array(span);
  const start = heard % span;
  last.set(ring.subarray(start), 0);
  last.set(ring.subarray(0, start), span - start);
  return last;
}

/** `samples` (fewer than `length`, at least one) repeated to `length` samples, ending with the last one. */
function loopTo(samples, length) {
  const out = new Float32Array(length);
  const n = samples.length;
  for (let end = length; end > 0; end -= n) {
    const from = Math.max(0, end - n);
    out.set(samples.subarray(n - (end - from)), from);
  }
  return out;
}

/** Exactly `length` samples: cut or zero-padded at the end. */
function fit(samples, length) {
  if (samples.length === length) return samples;
  const out = new Float32Array(length);
  out.set(samples.subarray(0, length));
  return out;
}

/**
 * Refuse what no clip can be, as earmark does (waveform.check_sample_rate and valid_audio): the same
 * limits, the same words.
 */
function checkClip(samples, rate) {
  if (!(samples instanceof Float32Array)) {
    const hint = isSamples(samples) ? " (Float32Array.from(samples) makes one)"
      : typeof samples === "string" || samples instanceof Blob ? "; to label a file, use classifyFile(file)" : "";
    throw new Error(`give the clip as a Float32Array of mono samples, got ${describe(samples)}${hint}`);
  }
  if (!samples.length) throw new Error("the clip holds no audio");
  if (typeof rate !== "number" || !Number.isInteger(rate)) {
    throw new Error(`the sample rate must be a whole number of hertz (e.g. 44100), got ${describe(rate)}`);
  }
  if (rate < MIN_RATE || rate > MAX_RATE) {
    throw new Error(`the sample rate must be ${MIN_RATE} to ${MAX_RATE} Hz, got ${rate}; give the rate in hertz (48000, not 48)`);
  }
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const size = Math.abs(samples[i]);
    if (size > peak) peak = size;
    else if (!(size <= peak)) throw new Error("the clip holds NaN or infinite samples; it is not audio a model can hear");
  }
  if (peak === Infinity) throw new Error("the clip holds NaN or infinite samples; it is not audio a model can hear");
  if (peak > MAX_VALUE) {
    throw new Error(`the clip's sample values reach ${Number(peak.toPrecision(3))}, far outside audio's range of ±1 `
      + "(values up to ±32768 are 16-bit integers given as floats: divide by 32768)");
  }
}

/** Whether `value` is samples in another form than a Float32Array: an Array or another typed array. */
function isSamples(value) {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/** `value` named for a message: the string "44100", NaN, null, an Array, a Float64Array. */
function describe(value) {
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (value === null || typeof value !== "object") return typeof value === "bigint" ? `${value}n` : String(value);
  const name = value.constructor?.name || "object";
  return `${/^[AEIOU]/i.test(name) ? "an" : "a"} ${name}`;
}

/**
 * Mono `samples` at `from` Hz, resampled to `to` Hz by the browser's own decoder: they are wrapped
 * as a float WAV and decoded into a context at `to` Hz, whose resampler filters what the new rate
 * cannot hold (an audio graph's playback-rate conversion does not: a 15 kHz tone came back at 7 kHz).
 */
async function resample(samples, from, to) {
  if (from === to) return samples;
  // browsers decode no audio below 3000 Hz: a slower clip is resampled as if both rates were k times
  // higher (the same ratio, the same filter), so it is taken as earmark takes it, from 1000 Hz
  const k = Math.ceil(BROWSER_MIN_RATE / Math.min(from, to));
  if (k > 1) {
    if (Math.max(from, to) * k > MAX_RATE) {
      throw new Error(`a browser cannot resample ${from} Hz audio to ${to} Hz; resample it to ${BROWSER_MIN_RATE} Hz or more first`);
    }
    from *= k;
    to *= k;
  }
  const bytes = new ArrayBuffer(44 + 4 * samples.length);
  const view = new DataView(bytes);
  const text = (at, s) => { for (let i = 0; i < s.length; i++) view.setUint8(at + i, s.charCodeAt(i)); };
  text(0, "RIFF");
  view.setUint32(4, 36 + 4 * samples.length, true);
  text(8, "WAVEfmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 3, true); // IEEE float
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, Math.round(from), true);
  view.setUint32(28, 4 * Math.round(from), true);
  view.setUint16(32, 4, true);
  view.setUint16(34, 32, true);
  text(36, "data");
  view.setUint32(40, 4 * samples.length, true);
  new Float32Array(bytes, 44).set(samples);
  const decoded = await new OfflineAudioContext(1, 1, to).decodeAudioData(bytes);
  return decoded.getChannelData(0);
}
