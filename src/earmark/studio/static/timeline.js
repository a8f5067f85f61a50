// A file's prediction: its label and bars and, for a long recording, the timeline: the spectrogram
// picture with a coloured label track under it, a player, and a cursor that moves while it plays.
// Rendering only (the studio and the share page send the file through predict.js).

import { decodeFile, drawSpectrogram } from "./spectrum.js";
import { displayName, h, labelColour, pct, probabilityBars } from "./ui.js";

/**
 * Render a prediction ({label, confidence, probabilities, duration_s, timeline, spectrogram_url})
 * of `file` into `container`. Used by the studio and by the share page.
 */
export function renderPrediction(container, result, file, labels) {
  const names = labels && labels.length ? labels : Object.keys(result.probabilities || {});
  const bars = h("div", { class: "bars" });
  const audioUrl = URL.createObjectURL(file);
  const audio = h("audio", { controls: true, src: audioUrl, "data-testid": "predict-audio", preload: "metadata" });
  const parts = [
    h("div", { class: "predict-head" },
      h("span", { class: "predict-file" }, file.name || "recording"),
      h("span", { class: "predict-label", "data-testid": "predict-label", "data-label": result.label,
        style: { color: labelColour(result.label, names) } }, displayName(result.label)),
      h("span", { class: "muted" }, `${pct(result.confidence)} sure · ${Number(result.duration_s || 0).toFixed(1)} s`)),
    bars,
  ];
  const picture = result.timeline_url || result.spectrogram_url;
  if (result.timeline && result.timeline.segments && result.timeline.segments.length) {
    parts.push(timelineView(result.timeline, file, audio, names));
    if (picture) {
      parts.push(h("details", { class: "timeline-details" }, h("summary", {}, "Probabilities over time (picture)"),
        h("img", { class: "predict-spectro", src: picture, alt: "Timeline picture with class probabilities" })));
    }
  } else {
    parts.push(audio);
  }
  container.replaceChildren(...parts);
  probabilityBars(bars, names)(result.probabilities || {});
}

/**
 * The timeline: the file's spectrogram (drawn here, so time spans the picture exactly), the label
 * track under it, a time axis, the player and a cursor in step with the player.
 */
export function timelineView(timeline, file, audio, labels) {
  const duration = Number(timeline.duration_s) || Math.max(...timeline.segments.map((s) => s.end_s));
  const cursor = h("div", { class: "cursor", "data-testid": "timeline-cursor", style: { left: "0%" } });
  const canvas = h("canvas", { width: 1100, height: 170, "data-testid": "timeline-image", "aria-label": "Spectrogram of the recording" });
  const picture = h("div", { class: "timeline-picture" }, canvas, cursor);
  decodeFile(file).then(({ samples, sampleRate }) => {
    drawSpectrogram(canvas, samples, sampleRate);
    canvas.dataset.drawn = "true";
  }).catch(() => {
    picture.replaceChildren(h("div", { class: "no-picture" }, "(this browser cannot decode the file to draw it)"), cursor);
  });
  const track = h("div", { class: "label-track", "data-testid": "label-track" },
    ...timeline.segments.map((seg) => h("div", {
      class: "segment", "data-label": seg.label,
      title: `${displayName(seg.label)} · ${seg.start_s.toFixed(1)}–${seg.end_s.toFixed(1)} s · ${pct(seg.confidence)}`,
      style: {
        left: `${(100 * seg.start_s) / duration}%`, width: `${(100 * (seg.end_s - seg.start_s)) / duration}%`,
        background: labelColour(seg.label, labels),
      },
    }, (seg.end_s - seg.start_s) / duration > 0.05 ? displayName(seg.label) : "")),
    h("div", { class: "cursor", style: { left: "0%" } }));
  const step = tickStep(duration);
  const ticks = [];
  for (let t = 0; t <= duration + 1e-6; t += step) {
    const end = t / duration > 0.95; // the last label ends at the right edge instead of running past it
    ticks.push(h("span", { style: { left: `${(100 * t) / duration}%`, ...(end ? { transform: "translateX(-100%)" } : {}) } },
      clock(t)));
  }
  const axis = h("div", { class: "time-axis" }, ...ticks);
  const shares = timeShares(timeline.segments, duration);
  const legend = h("div", { class: "legend", "data-testid": "timeline-legend" }, ...labels.map((l) => h("span", {},
    h("i", { style: { background: labelColour(l, labels) } }),
    `${displayName(l)}${shares[l] ? ` · ${Math.round(100 * shares[l])} % of the time` : ""}`)));
  const download = h("a", {
    class: "button small", "data-testid": "segments-download", download: `${stem(file.name || "recording")}-segments.csv`,
    href: URL.createObjectURL(new Blob([segmentsCsv(timeline.segments)], { type: "text/csv" })),
  }, "Download the segments (CSV)");
  const view = h("div", { class: "timeline", "data-testid": "timeline" }, picture, track, axis, legend, audio,
    h("div", { class: "row" }, download));

  const cursors = [cursor, track.querySelector(".cursor")];
  let raf = 0;
  const place = () => {
    const x = Math.min(100, (100 * audio.currentTime) / duration);
    for (const c of cursors) c.style.left = `${x}%`;
    view.dataset.time = audio.currentTime.toFixed(2);
  };
  const loop = () => {
    place();
    if (!audio.paused && view.isConnected) raf = requestAnimationFrame(loop);
  };
  audio.addEventListener("play", () => { cancelAnimationFrame(raf); raf = requestAnimationFrame(loop); });
  audio.addEventListener("timeupdate", place);
  audio.addEventListener("seeked", place);
  const seek = (e) => {
    const box = e.currentTarget.getBoundingClientRect();
    audio.currentTime = Math.max(0, Math.min(duration, ((e.clientX - box.left) / box.width) * duration));
    place();
  };
  picture.addEventListener("click", seek);
  track.addEventListener("click", seek);
  return view;
}

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
