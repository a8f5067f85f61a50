// A spectrogram of a whole file drawn in the page (decodeAudioData + FFT → canvas), so that its
// time axis spans the canvas exactly and a play cursor can sit on it.

const RATE = 22050;
const N_FFT = 1024;

/** In-place radix-2 FFT of (re, im), length a power of two. */
function fft(re, im) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const next = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = next;
      }
    }
  }
}

/** Magma-like colour for t in [0, 1] as [r, g, b]. */
export function magma(t) {
  const stops = [[0, 0, 4], [59, 15, 112], [140, 41, 129], [222, 73, 104], [254, 159, 109], [252, 253, 191]];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
}

/** Decode `file` (anything the browser decodes) to mono samples at 22.05 kHz. */
export async function decodeFile(file) {
  const ctx = new OfflineAudioContext(1, 1, RATE);
  const buffer = await ctx.decodeAudioData(await file.arrayBuffer());
  const mono = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const data = buffer.getChannelData(c);
    for (let i = 0; i < data.length; i++) mono[i] += data[i] / buffer.numberOfChannels;
  }
  return { samples: mono, sampleRate: RATE };
}

/** Draw a log-frequency spectrogram of `samples` over the whole canvas (one column per pixel). */
export function drawSpectrogram(canvas, samples, sampleRate) {
  const { width, height } = canvas;
  const g = canvas.getContext("2d");
  const image = g.createImageData(width, height);
  const window = new Float32Array(N_FFT).map((_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N_FFT));
  const re = new Float32Array(N_FFT);
  const im = new Float32Array(N_FFT);
  const fLo = 30;
  const fHi = sampleRate / 2;
  // each row averages the power of the FFT bins in its band (log-spaced, top row = highest band)
  const rowLo = new Int32Array(height);
  const rowHi = new Int32Array(height);
  const bin = (f) => Math.min(N_FFT / 2 - 1, Math.round((f / sampleRate) * N_FFT));
  for (let y = 0; y < height; y++) {
    rowLo[y] = bin(fLo * Math.pow(fHi / fLo, 1 - (y + 1) / height));
    rowHi[y] = Math.max(rowLo[y], bin(fLo * Math.pow(fHi / fLo, 1 - y / height)) - 1);
  }
  const columns = [];
  let top = -Infinity;
  for (let x = 0; x < width; x++) {
    const centre = Math.round(((x + 0.5) / width) * samples.length);
    for (let i = 0; i < N_FFT; i++) {
      const at = centre - N_FFT / 2 + i;
      re[i] = at >= 0 && at < samples.length ? samples[at] * window[i] : 0;
      im[i] = 0;
    }
    fft(re, im);
    const col = new Float32Array(height);
    for (let y = 0; y < height; y++) {
      let power = 0;
      for (let b = rowLo[y]; b <= rowHi[y]; b++) power += re[b] * re[b] + im[b] * im[b];
      col[y] = 10 * Math.log10(power / (rowHi[y] - rowLo[y] + 1) + 1e-12);
      if (col[y] > top) top = col[y];
    }
    columns.push(col);
  }
  const range = 80;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const [r, gr, b] = magma((columns[x][y] - (top - range)) / range);
      const at = 4 * (y * width + x);
      image.data[at] = r;
      image.data[at + 1] = gr;
      image.data[at + 2] = b;
      image.data[at + 3] = 255;
    }
  }
  g.putImageData(image, 0, 0);
}
