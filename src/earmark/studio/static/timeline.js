// A file's prediction: its label and bars and, for a long recording, the timeline: the spectrogram
// picture with a coloured label track under it, a player, and a cursor that moves while it plays.
// Rendering only (the studio and the share page send the file through predict.js).

import { decodeFile, drawSpectrogram } from "./spectrum.js";
import { displayName, h, labelColour, pct, probabilityBars } from "./ui.js";

/** The note beside an answer less sure than `level` (the model's sure_level: how sure it was of 95 % of its
 *  right validation answers), else null. */
function unsureNote(confidence, level) {
  if (level == null || !(confidence < level)) return null;
  return h("span", { class: "unsure-note", "data-testid": "predict-unsure",
    title: `The model was at least ${pct(level)} sure of 95 % of the clips it answered right in validation.` },
  `less sure than usual (under ${pct(level)}): worth a listen`);
}

/**
 * Render a prediction ({label, confidence, probabilities, duration_s, timeline, timeline_url, audio_url, sure_level})
 * of `file` into `container`. Used by the studio and by the share page. The player plays (and the
 * timeline draws) the server's copy (`audio_url`) of a file browsers do not play (AIFF, CAF, Apple
 * Lossless, WMA), else the file itself; when it cannot, a note under it says so and why.
 */
export function renderPrediction(container, result, file, labels) {
  const names = labels && labels.length ? labels : Object.keys(result.probabilities || {});
  const bars = h("div", { class: "bars" });
  const audio = h("audio", { controls: true, src: result.audio_url || URL.createObjectURL(file),
    "data-testid": "predict-audio", preload: "metadata", "aria-label": `Play ${file.name || "the recording"}` });
  const note = h("p", { class: "muted small", "data-testid": "predict-audio-note", hidden: true });
  audio.addEventListener("error", () => {
    note.textContent = cannotPlay(file.name || "the recording", Boolean(result.audio_url));
    note.hidden = false;
  });
  const parts = [
    h("div", { class: "predict-head" },
      h("span", { class: "predict-file" }, file.name || "recording"),
      h("span", { class: "predict-label", "data-testid": "predict-label", "data-label": result.label,
        style: { color: labelColour(result.label, names) } }, displayName(result.label)),
      h("span", { class: "muted" }, `${pct(result.confidence)} sure · ${Number(result.duration_s || 0).toFixed(1)} s`),
      unsureNote(result.confidence, result.sure_level)),
    bars,
  ];
  const warned = result.warnings || []; // "…: ends after 2.0 s partway through a packet", channels that cancel
  if (warned.length) parts.push(h("ul", { class: "note", "data-testid": "predict-warnings" }, ...warned.map((w) => h("li", {}, w))));
  const picture = result.timeline_url || result.spectrogram_url;
  if (result.timeline && result.timeline.segments && result.timeline.segments.length) {
    parts.push(timelineView(result.timeline, file, audio, names, result.audio_url, result.sure_level), note);
    if (picture) {
      parts.push(h("details", { class: "timeline-details" }, h("summary", {}, "Probabilities over time (picture)"),
        h("img", { class: "predict-spectro", src: picture, alt: "Timeline picture with class probabilities" })));
    }
  } else {
    parts.push(audio, note);
  }
  container.replaceChildren(...parts);
  probabilityBars(bars, names)(result.probabilities || {});
}

/** Why the player cannot play `name`: its copy from the server failed, or the browser does not play its kind. */
function cannotPlay(name, copied) {
  if (copied) return `This page cannot play ${name}: the copy made to play it here did not load (the studio keeps `
    + "copies only while it runs, and only the newest); try the file again. The label above is right.";
  const kind = /\.[^.]+$/.exec(name);
  return `This browser cannot play ${name}${kind ? ` (it does not play ${kind[0].toUpperCase().slice(1)} files)` : ""}, `
    + "and the server made no copy that it can. The label above is right; to listen here, convert the file to WAV, FLAC or MP3.";
}

/**
 * The timeline: the file's spectrogram (drawn here, so time spans the picture exactly), the label
 * track under it, a time axis, the player and a cursor in step with the player. The picture is drawn
 * from `audioUrl` (the server's playable copy) when there is one, else from `file`. Zoom in, out and
 * pan (buttons, or + - ← → on the focused timeline) to read a long recording; while it plays
 * zoomed in, the view turns the page with the cursor. A segment less sure than `sureLevel` (the
 * model's sure_level) is hatched: where to listen first.
 */
export function timelineView(timeline, file, audio, labels, audioUrl = null, sureLevel = null) {
  const duration = Number(timeline.duration_s) || Math.max(...timeline.segments.map((s) => s.end_s));
  const view = { t0: 0, t1: duration };
  const span = () => view.t1 - view.t0;
  const cursor = h("div", { class: "cursor", "data-testid": "timeline-cursor", style: { left: "0%" } });
  const canvas = h("canvas", { width: 1100, height: 170, "data-testid": "timeline-image", "aria-label": "Spectrogram of the recording" });
  const picture = h("div", { class: "timeline-picture" }, canvas, cursor);
  let decoded = null;
  const drawPicture = () => {
    if (!decoded) return;
    const { samples, sampleRate } = decoded;
    const from = Math.floor(view.t0 * sampleRate);
    const to = Math.max(from + 1, Math.min(samples.length, Math.ceil(view.t1 * sampleRate)));
    drawSpectrogram(canvas, samples.subarray(from, to), sampleRate);
    canvas.dataset.drawn = "true";
  };
  const source = audioUrl ? fetch(audioUrl).then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r; })
    : Promise.resolve(file);
  source.then(decodeFile).then((d) => {
    decoded = d;
    drawPicture();
  }).catch(() => {
    picture.replaceChildren(h("div", { class: "no-picture" }, "(this browser cannot decode the file to draw it)"), cursor);
  });
  const trackCursor = h("div", { class: "cursor", style: { left: "0%" } });
  const track = h("div", { class: "label-track", "data-testid": "label-track" });
  const axis = h("div", { class: "time-axis" });
  const at = (t) => (100 * (t - view.t0)) / span(); // percent across the view
  const drawTrack = () => {
    const shown = timeline.segments.filter((seg) => seg.end_s > view.t0 && seg.start_s < view.t1);
    track.replaceChildren(...shown.map((seg) => {
      const a = Math.max(seg.start_s, view.t0);
      const b = Math.min(seg.end_s, view.t1);
      const unsure = sureLevel != null && seg.confidence < sureLevel;
      return h("div", {
        class: unsure ? "segment unsure" : "segment", "data-label": seg.label,
        title: `${displayName(seg.label)} · ${seg.start_s.toFixed(1)}–${seg.end_s.toFixed(1)} s · ${pct(seg.confidence)}`
          + (unsure ? " · less sure than usual: worth a listen" : ""),
        style: { left: `${at(a)}%`, width: `${(100 * (b - a)) / span()}%`, backgroundColor: labelColour(seg.label, labels) },
      }, (b - a) / span() > 0.05 ? displayName(seg.label) : "");
    }), trackCursor);
    const step = tickStep(span());
    const ticks = [];
    for (let t = Math.ceil(view.t0 / step - 1e-9) * step; t <= view.t1 + 1e-6; t += step) {
      const end = (t - view.t0) / span() > 0.95; // the last label ends at the right edge instead of running past it
      ticks.push(h("span", { style: { left: `${at(t)}%`, ...(end ? { transform: "translateX(-100%)" } : {}) } }, clock(t)));
    }
    axis.replaceChildren(...ticks);
  };
  const shares = timeShares(timeline.segments, duration);
  const legend = h("div", { class: "legend", "data-testid": "timeline-legend" }, ...labels.map((l) => h("span", {},
    h("i", { style: { background: labelColour(l, labels) } }),
    `${displayName(l)}${shares[l] ? ` · ${Math.round(100 * shares[l])} % of the time` : ""}`)));
  const download = h("a", {
    class: "button small", "data-testid": "segments-download", download: `${stem(file.name || "recording")}-segments.csv`,
    href: URL.createObjectURL(new Blob([segmentsCsv(timeline.segments)], { type: "text/csv" })),
  }, "Download the segments (CSV)");

  const shownSpan = h("span", { class: "muted small", "data-testid": "timeline-span" });
  const show = (t0, t1) => {
    const width = Math.min(duration, Math.max(MIN_VIEW_S, t1 - t0));
    view.t0 = Math.max(0, Math.min(duration - width, t0));
    view.t1 = view.t0 + width;
    shownSpan.textContent = view.t0 === 0 && view.t1 >= duration ? "whole recording" : `${clock(view.t0)} – ${clock(view.t1)}`;
    drawTrack();
    drawPicture();
    place();
  };
  const centre = () => (audio.currentTime > view.t0 && audio.currentTime < view.t1 ? audio.currentTime : (view.t0 + view.t1) / 2);
  const zoom = (factor) => { const c = centre(); show(c - (span() * factor) / 2, c + (span() * factor) / 2); };
  const pan = (direction) => show(view.t0 + (direction * span()) / 2, view.t1 + (direction * span()) / 2);
  const button = (text, label, action, testid) => h("button", { type: "button", class: "small", "aria-label": label,
    "data-testid": testid, onclick: action }, text);
  const controls = h("div", { class: "row timeline-controls" },
    button("+", "Zoom in", () => zoom(0.5), "zoom-in"), button("−", "Zoom out", () => zoom(2), "zoom-out"),
    button("◀", "Earlier", () => pan(-1), "pan-left"), button("▶", "Later", () => pan(1), "pan-right"),
    button("Whole", "Show the whole recording", () => show(0, duration), "zoom-all"), shownSpan,
    h("span", { class: "spacer" }), download);
  const root = h("div", { class: "timeline", "data-testid": "timeline", tabindex: "0",
    "aria-label": "Timeline: + and − zoom, ← and → move" }, picture, track, axis, legend, audio, controls);
  root.addEventListener("keydown", (e) => {
    const keys = { "+": () => zoom(0.5), "=": () => zoom(0.5), "-": () => zoom(2), ArrowLeft: () => pan(-1), ArrowRight: () => pan(1) };
    if (e.target === root && keys[e.key]) {
      e.preventDefault();
      keys[e.key]();
    }
  });

  let raf = 0;
  function place() {
    const t = audio.currentTime;
    const inside = t >= view.t0 && t <= view.t1;
    for (const c of [cursor, trackCursor]) {
      c.style.left = `${Math.min(100, Math.max(0, at(t)))}%`;
      c.hidden = !inside;
    }
    root.dataset.time = t.toFixed(2);
  }
  const loop = () => {
    // playing past the view's end while zoomed in: turn the page
    if (!audio.paused && audio.currentTime > view.t1 && view.t1 < duration) show(audio.currentTime, audio.currentTime + span());
    place();
    if (!audio.paused && root.isConnected) raf = requestAnimationFrame(loop);
  };
  audio.addEventListener("play", () => { cancelAnimationFrame(raf); raf = requestAnimationFrame(loop); });
  audio.addEventListener("timeupdate", place);
  audio.addEventListener("seeked", place);
  const seek = (e) => {
    const box = e.currentTarget.getBoundingClientRect();
    audio.currentTime = Math.max(0, Math.min(duration, view.t0 + ((e.clientX - box.left) / box.width) * span()));
    place();
  };
  picture.addEventListener("click", seek);
  track.addEventListener("click", seek);
  show(0, duration);
  return root;
}

/** The shortest span the timeline zooms to, in seconds. */
const MIN_VIEW_S = 2;

/** Seconds between time-axis labels: a round step giving at most ten labels (a 20 min file had 121). */
export function tickStep(duration) {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
  return steps.find((s) => duration / s <= 10) || Math.ceil(duration / 10 / 3600) * 3600;
}

/** "45 s" under a minute, else "m:ss" (or "h:mm:ss"). */
export function clock(t) {
  if (t < 60) return `${Math.round(t)} s`;
  const s = Math.round(t);
  const two = (n) => String(n).padStart(2, "0");
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  return hours ? `${hours}:${two(minutes)}:${two(s % 60)}` : `${minutes}:${two(s % 60)}`;
}

/** How much of the recording each label holds: {label: fraction}. */
export function timeShares(segments, duration) {
  const out = {};
  for (const seg of segments) out[seg.label] = (out[seg.label] || 0) + (seg.end_s - seg.start_s) / duration;
  return out;
}

/** The segments as CSV, as `earmark timeline` writes them (start_s,end_s,label,confidence). */
export function segmentsCsv(segments) {
  const quote = (v) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const rows = segments.map((s) => [s.start_s.toFixed(3), s.end_s.toFixed(3), quote(String(s.label)),
    Number(s.confidence).toFixed(4)].join(","));
  return ["start_s,end_s,label,confidence", ...rows].join("\n") + "\n";
}

function stem(name) {
  return name.replace(/\.[^.]*$/, "") || "recording";
}
