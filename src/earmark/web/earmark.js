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

/** A loaded model. Its methods resolve to {label, confidence, probabilities: {label: p}}. */
export class SoundModel {
  constructor(info, session) {
    this.info = info;
    this.labels = info.labels;
    this.sampleRate = info.sample_rate;
    this.windowSamples = info.window_samples;
    this.hopSamples = info.hop_samples;
    this.backgroundLabel = info.background_label;
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
   * short clip is zero-padded; the windows' probabilities averaged, each weighted by its loudness
   * relative to the loudest window (at least 0.05), so a drum hit's silent tail does not outvote it.
   */
  async classify(samples, rate = this.sampleRate) {
    if (rate !== this.sampleRate) samples = await resample(samples, rate, this.sampleRate);
    if (!samples.length) throw new Error("the clip holds no audio");
    const window = this.windowSamples;
    if (samples.length < window) {
      const padded = new Float32Array(window);
      padded.set(samples);
      samples = padded;
    }
    const starts = [];
    for (let s = 0; s + window <= samples.length; s += this.hopSamples) starts.push(s);
    if (starts[starts.length - 1] + window < samples.length) starts.push(samples.length - window);
    const windows = new Float32Array(starts.length * window);
    const loudness = starts.map((s, i) => {
      const part = samples.subarray(s, s + window);
      windows.set(part, i * window);
      let sum = 0;
      for (const v of part) sum += v * v;
      return Math.sqrt(sum / window) + 1e-12;
    });
    const scores = await this.scoreWindows(windows, starts.length);
    const loudest = Math.max(...loudness);
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
   * it started), every `everyS` seconds, on the last window of sound. Call from a click handler
   * (browsers start audio only after a gesture). Resolves to a function that stops listening.
   */
  async listen(onResult, { everyS = 0.25, deviceId = "" } = {}) {
    const audio = deviceId ? { ...RAW_AUDIO, deviceId: { exact: deviceId } } : RAW_AUDIO;
    const stream = await navigator.mediaDevices.getUserMedia({ audio });
    // the context runs at the device's own rate (Firefox refuses another): windows are resampled here
    const context = new AudioContext();
    try {
      await context.resume();
      await context.audioWorklet.addModule(new URL("./earmark-capture.js", import.meta.url));
    } catch (err) {
      for (const track of stream.getTracks()) track.stop();
      context.close().catch(() => {});
      throw err;
    }
    const rate = context.sampleRate;
    const span = Math.round((this.windowSamples / this.sampleRate) * rate);
    const ring = new Float32Array(span);
    let heard = 0; // samples received
    let next = Math.round(everyS * rate);
    let busy = false;
    const node = new AudioWorkletNode(context, "earmark-capture", { numberOfOutputs: 1, outputChannelCount: [1] });
    node.port.onmessage = ({ data }) => {
      for (const v of data) ring[heard++ % span] = v;
      if (heard < next || busy) return;
      next = heard + Math.round(everyS * rate);
      const start = heard % span;
      const last = new Float32Array(span); // the last window, oldest sample first (silence before the first)
      last.set(ring.subarray(start), 0);
      last.set(ring.subarray(0, start), span - start);
      const time = heard / rate;
      busy = true;
      resample(last, rate, this.sampleRate)
        .then((window) => this.scoreWindows(fit(window, this.windowSamples), 1))
        .then(([p]) => { if (node.port.onmessage) onResult({ ...this._result(Array.from(p)), time_s: time }); })
        .catch((err) => console.error("earmark: ", err))
        .finally(() => { busy = false; });
    };
    const source = context.createMediaStreamSource(stream);
    const mute = context.createGain();
    mute.gain.value = 0; // the graph must reach the speakers to run; nothing is heard
    source.connect(node).connect(mute).connect(context.destination);
    return () => {
      node.port.onmessage = null;
      for (const track of stream.getTracks()) track.stop();
      context.close().catch(() => {});
    };
  }

  _result(probabilities) {
    let best = 0;
    probabilities.forEach((p, k) => { if (p > probabilities[best]) best = k; });
    return {
      label: this.labels[best],
      confidence: probabilities[best],
      probabilities: Object.fromEntries(this.labels.map((label, k) => [label, probabilities[k]])),
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

/** Exactly `length` samples: cut or zero-padded at the end. */
function fit(samples, length) {
  if (samples.length === length) return samples;
  const out = new Float32Array(length);
  out.set(samples.subarray(0, length));
  return out;
}

/** Mono `samples` at `from` Hz, resampled to `to` Hz by the browser (an offline audio context). */
async function resample(samples, from, to) {
  if (from === to) return samples;
  const length = Math.max(1, Math.round((samples.length * to) / from));
  const context = new OfflineAudioContext(1, length, to);
  const buffer = context.createBuffer(1, samples.length, from);
  buffer.copyToChannel(samples, 0);
  const source = context.createBufferSource();
  source.buffer = buffer;
  source.connect(context.destination);
  source.start();
  return (await context.startRendering()).getChannelData(0);
}
