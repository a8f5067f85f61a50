// Streaming the microphone to a live-classification WebSocket: one JSON message with the
// sample rate, then little-endian float32 mono PCM about every 50 ms; the last 2 s are kept.

import { serverGone } from "./api.js";
import { concat, mic, RingBuffer } from "./audio.js";
import { showError } from "./ui.js";

const SEND_MS = 50;
export const KEEP_S = 2;

/**
 * Stream the microphone to a live-classification WebSocket.
 * onResult({label, confidence, probabilities, time_s}); onClose(reason). Returns {stop, ring}.
 */
export function streamToSocket(url, { onResult, onClose, onOpen }) {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  const ring = new RingBuffer(KEEP_S, mic.sampleRate);
  let pending = [];
  let closedByUs = false;
  let serverError = null; // the server's error message, sent just before it closes (code 1008)
  const unlisten = mic.listen((frame) => {
    ring.push(frame);
    pending.push(frame);
  });
  const timer = setInterval(() => {
    if (ws.readyState !== WebSocket.OPEN || !pending.length) return;
    const chunk = concat(pending);
    pending = [];
    if (ws.bufferedAmount < 1 << 20) ws.send(chunk.buffer);
  }, SEND_MS);
  ws.addEventListener("open", () => {
    ws.send(JSON.stringify({ sample_rate: mic.sampleRate }));
    if (onOpen) onOpen();
  });
  ws.addEventListener("message", (event) => {
    if (typeof event.data !== "string") return;
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    if (msg.error) {
      serverError = msg.error.message || String(msg.error);
      if (!onClose) showError(new Error(serverError)); // else it is the reason onClose is given
      return;
    }
    if (msg.probabilities) onResult(msg); // the first reply only says {"ready": true, ...}
  });
  const cleanup = () => {
    clearInterval(timer);
    unlisten();
  };
  ws.addEventListener("close", (event) => {
    cleanup();
    if (closedByUs || !onClose) return;
    // the server's words when it gave some; else the server is gone (1012: it shut down, 1006: the line dropped)
    onClose(event.reason || serverError || (event.code === 1000 ? "the server closed the connection"
      : `lost the connection (code ${event.code}) to ${serverGone()}`));
  });
  return {
    ring,
    stop() {
      closedByUs = true;
      cleanup();
      if (ws.readyState <= WebSocket.OPEN) ws.close(1000);
    },
  };
}

/** Counts results per second over the last 2 s. */
export function rateCounter() {
  const times = [];
  return () => {
    const now = performance.now();
    times.push(now);
    while (times.length && times[0] < now - 2000) times.shift();
    return times.length > 1 ? ((times.length - 1) * 1000) / (now - times[0]) : 0;
  };
}
