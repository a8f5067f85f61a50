// The live preview, shared by the studio's Try tab and the share page: microphone → WebSocket
// (socket.js) → probability bars, the winning label and the update rate, with Start / Stop buttons.

import { mic } from "./audio.js";
import { rateCounter, streamToSocket } from "./socket.js";
import { busy, displayName, focusLost, probabilityBars, showError } from "./ui.js";

export class LivePreview {
  /**
   * els: {start, stop, status, label, bars, rate} (elements).
   * target(): {url, labels, model?} of what to listen with; it may throw ("train a model first").
   * openMic(): opens the microphone, holding it as "preview" (default: the page's default input).
   *   Stopping lets go of it, so it closes unless something else (a recording) still holds it.
   * name: how messages call it ("Live preview" → "Live preview stopped: …").
   * onChange(running): called when it starts or stops.
   * canStart(): whether Start may be pressed now (false: no model to listen with).
   * idleBars(container): what the bars show when stopped (default: nothing).
   */
  constructor(els, { target, openMic = () => mic.hold("preview"), name = "Listening", onChange = () => {},
    canStart = () => true, idleBars = (container) => container.replaceChildren() }) {
    this.els = els;
    this.target = target;
    this.openMic = openMic;
    this.name = name;
    this.onChange = onChange;
    this.canStart = canStart;
    this.idleBars = idleBars;
    this.stream = null;
    this.lastRing = null;
    // the microphone turned off elsewhere (the Samples tab's button): nothing left to hear
    mic.watch(() => { if (this.running && !mic.running) this.stop("stopped: the microphone was turned off"); });
  }

  get running() {
    return Boolean(this.stream);
  }

  /** The last 2 s heard (a RingBuffer): while listening, and after Stop until the next start or
   *  forget() (a misfire heard just before Stop can still be saved); null before anything was heard. */
  get ring() {
    return this.stream ? this.stream.ring : this.lastRing;
  }

  /** Drop what was heard (another project: it is not that project's audio to save). */
  forget() {
    this.lastRing = null;
  }

  setStatus(text, state) {
    this.els.status.textContent = text;
    if (state) this.els.status.dataset.state = state;
  }

  stop(reason) {
    const was = this.running;
    if (this.stream) {
      this.stream.stop();
      this.lastRing = this.stream.ring;
    }
    this.stream = null;
    if (was) mic.release("preview");
    this.els.stop.disabled = true;
    this.updateStart();
    this.setStatus(reason || "stopped", "stopped");
    // nothing heard any more: no label, no bars, no rate
    this.els.label.textContent = "–";
    delete this.els.label.dataset.label;
    this.idleBars(this.els.bars);
    this.els.rate.textContent = "";
    if (was) this.onChange(false);
  }

  async start() {
    const { url, labels, model } = this.target();
    this.stop();
    this.lastRing = null;
    this.setStatus("opening the microphone…", "starting");
    try {
      await this.openMic();
    } catch (err) {
      this.stop(`stopped: ${err.message}`);
      throw err;
    }
    const update = probabilityBars(this.els.bars, labels);
    const count = rateCounter();
    this.els.start.disabled = true;
    this.els.stop.disabled = false;
    this.setStatus("connecting…", "connecting");
    this.stream = streamToSocket(url, {
      onOpen: () => this.setStatus(`listening at ${mic.sampleRate} Hz${model ? ` with ${model}` : ""}`, "listening"),
      onResult: (msg) => {
        const best = update(msg.probabilities || {});
        const label = msg.label || best;
        this.els.label.textContent = displayName(label);
        this.els.label.dataset.label = label;
        this.els.rate.textContent = `${count().toFixed(1)} updates/s · ${Number(msg.time_s ?? 0).toFixed(1)} s heard`;
      },
      onClose: (reason) => {
        this.stop(`stopped: ${reason}`);
        showError(new Error(`${this.name} stopped: ${reason}`));
      },
    });
    this.onChange(true);
  }

  /** Start is enabled when stopped and canStart() (call it when what canStart() reads changes). */
  updateStart() {
    this.els.start.disabled = this.running || !this.canStart();
  }

  /** Wire the Start and Stop buttons (Start shows a spinner and the error toast if it fails). */
  bind() {
    this.els.start.addEventListener("click", () => this.restart());
    this.els.stop.addEventListener("click", () => {
      this.stop();
      if (!this.els.start.disabled) this.els.start.focus(); // Stop is off now: the focus goes to Start
    });
    return this;
  }

  /** Start (again), with the Start button busy meanwhile; errors become a toast. */
  restart() {
    const start = this.els.start;
    const focused = start === document.activeElement;
    return busy(start, () => this.start()).then(() => {
      this.updateStart();
      // Start is off while listening: the focus it had goes to Stop
      if (focused && this.running && (document.activeElement === start || focusLost())) this.els.stop.focus();
    });
  }
}
