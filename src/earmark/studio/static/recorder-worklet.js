// AudioWorklet processor: downmixes the input to mono and posts Float32Array frames of raw PCM
// (at the AudioContext's own rate) to the page, batched to about `frameSize` samples.
class RecorderProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const size = (options && options.processorOptions && options.processorOptions.frameSize) || 1024;
    this.size = size;
    this.buffer = new Float32Array(size);
    this.filled = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const n = input[0].length;
    const channels = input.length;
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += input[c][i];
      this.buffer[this.filled++] = sum / channels;
      if (this.filled === this.size) {
        this.port.postMessage(this.buffer, [this.buffer.buffer]); // transferred: make a new one
        this.buffer = new Float32Array(this.size);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("earmark-recorder", RecorderProcessor);
