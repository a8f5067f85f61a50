// AudioWorklet processor for earmark.js: mixes the microphone down to mono and posts Float32Array
// frames of about 1024 samples, at the audio context's own rate, to the page.
class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frame = new Float32Array(1024);
    this.filled = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    for (let i = 0; i < input[0].length; i++) {
      let sum = 0;
      for (const channel of input) sum += channel[i];
      this.frame[this.filled++] = sum / input.length;
      if (this.filled === this.frame.length) {
        this.port.postMessage(this.frame, [this.frame.buffer]); // handed over: start a new one
        this.frame = new Float32Array(1024);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("earmark-capture", CaptureProcessor);
