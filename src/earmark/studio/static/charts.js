// Training curves on canvas: loss and accuracy per epoch, train and validation. Drawn by the
// training screen while a run goes on, and by "under the hood" for the chosen model.

import { $ } from "./ui.js";

/** The y axis up to `max`: round ticks (a step of 1, 2, 2.5 or 5 times a power of ten, 3 to 5
 *  of them above 0) and the top tick at or just above `max`, e.g. 0.89 → 0 0.2 0.4 0.6 0.8 1. */
export function axis(max) {
  const most = Number.isFinite(max) && max > 0 ? max : 1;
  const power = 10 ** Math.floor(Math.log10(most / 4));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => most / s <= 5);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (step / power === 2.5 ? 1 : 0));
  return { top: Math.ceil(most / step - 1e-9) * step, step, decimals };
}

/** Draw one chart: series [{label, values, colour, dashed}] over epochs 1..n. */
export function drawChart(canvas, series, { yMax = null, percent = false } = {}) {
  const g = canvas.getContext("2d");
  const { width, height } = canvas;
  const pad = { left: 44, right: 12, top: 30, bottom: 26 }; // the legend has the strip above the plot
  g.clearRect(0, 0, width, height);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, width, height);
  // a missing score (null: no validation clips) leaves a gap in its line
  series = series.map((s) => ({ ...s, values: s.values.map((v) => (v === null || v === undefined ? NaN : Number(v))) }));
  const values = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const { top, step, decimals } = axis(yMax ?? (values.length ? Math.max(...values) : 1));
  const x = (i) => pad.left + (i / (n - 1)) * (width - pad.left - pad.right);
  const y = (v) => height - pad.bottom - (v / (top || 1)) * (height - pad.top - pad.bottom);
  g.strokeStyle = "#e3e6ec";
  g.fillStyle = "#6b7280";
  g.font = "11px system-ui, sans-serif";
  g.lineWidth = 1;
  const ticks = [];
  for (let k = 0; k * step <= top * (1 + 1e-9); k++) {
    const v = k * step;
    const label = percent ? `${Math.round(v * 100)}%` : String(Number(v.toFixed(decimals))); // 0.5, not 0.50
    ticks.push(label);
    g.beginPath();
    g.moveTo(pad.left, y(v));
    g.lineTo(width - pad.right, y(v));
    g.stroke();
    g.textAlign = "right";
    g.fillText(label, pad.left - 6, y(v) + 4);
  }
  canvas.dataset.ticks = ticks.join(" ");
  g.textAlign = "center";
  const every = Math.max(1, Math.ceil(n / 10));
  for (let i = 0; i < n; i += every) g.fillText(String(i + 1), x(i), height - 8);
  for (const s of series) {
    g.strokeStyle = s.colour;
    g.fillStyle = s.colour;
    g.lineWidth = 2;
    g.setLineDash(s.dashed ? [6, 4] : []);
    g.beginPath();
    let pen = false;
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) {
        pen = false;
        return;
      }
      if (pen) g.lineTo(x(i), y(v));
      else g.moveTo(x(i), y(v));
      pen = true;
    });
    g.stroke();
    g.setLineDash([]);
    if (s.values.length < 30) {
      s.values.forEach((v, i) => {
        if (!Number.isFinite(v)) return;
        g.beginPath();
        g.arc(x(i), y(v), 2.5, 0, 2 * Math.PI);
        g.fill();
      });
    }
  }
  // legend: above the plot, where no line can run under it (accuracy ends near the top)
  let lx = width - pad.right - 150;
  for (const s of series) {
    g.strokeStyle = s.colour;
    g.lineWidth = 2;
    g.setLineDash(s.dashed ? [6, 4] : []);
    g.beginPath();
    g.moveTo(lx, 12);
    g.lineTo(lx + 18, 12);
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = "#374151";
    g.textAlign = "left";
    g.fillText(s.label, lx + 22, 16);
    lx += 75;
  }
  canvas.dataset.points = String(Math.max(0, ...series.map((s) => s.values.length)));
}

export function drawHistory(history) {
  const get = (key) => history.map((r) => r[key]);
  drawChart($("#loss-chart"), [
    { label: "train", values: get("train_loss"), colour: "#2563eb" },
    { label: "validation", values: get("val_loss"), colour: "#f97316", dashed: true },
  ]);
  drawChart($("#acc-chart"), [
    { label: "train", values: get("train_accuracy"), colour: "#2563eb" },
    { label: "validation", values: get("val_accuracy"), colour: "#f97316", dashed: true },
  ], { yMax: 1, percent: true });
}
