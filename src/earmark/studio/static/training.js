// Training: the Train button and its settings, polling the job twice a second, the progress bar,
// live loss/accuracy curves (train and validation) on canvas, and Cancel.

import { api } from "./api.js";
import { initHood, showModelHistory } from "./hood.js";
import { on, reloadProject, selectModel, state } from "./state.js";
import { $, busy, pct, showError, toast } from "./ui.js";

const POLL_MS = 500;
let job = null;
let timer = 0;

/** Draw one chart: series [{label, values, colour, dashed}] over epochs 1..n. */
export function drawChart(canvas, series, { yMax = null, percent = false } = {}) {
  const g = canvas.getContext("2d");
  const { width, height } = canvas;
  const pad = { left: 44, right: 12, top: 12, bottom: 26 };
  g.clearRect(0, 0, width, height);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, width, height);
  // a missing score (null: no validation clips) leaves a gap in its line
  series = series.map((s) => ({ ...s, values: s.values.map((v) => (v === null || v === undefined ? NaN : Number(v))) }));
  const values = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const top = yMax ?? (values.length ? Math.max(...values) * 1.1 : 1);
  const x = (i) => pad.left + (i / (n - 1)) * (width - pad.left - pad.right);
  const y = (v) => height - pad.bottom - (v / (top || 1)) * (height - pad.top - pad.bottom);
  g.strokeStyle = "#e3e6ec";
  g.fillStyle = "#6b7280";
  g.font = "11px system-ui, sans-serif";
  g.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    g.beginPath();
    g.moveTo(pad.left, y(v));
    g.lineTo(width - pad.right, y(v));
    g.stroke();
    g.textAlign = "right";
    g.fillText(percent ? `${Math.round(v * 100)}%` : v.toFixed(v < 1 ? 2 : 1), pad.left - 6, y(v) + 4);
  }
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
  // legend
  let lx = width - pad.right - 150;
  for (const s of series) {
    g.strokeStyle = s.colour;
    g.lineWidth = 2;
    g.setLineDash(s.dashed ? [6, 4] : []);
    g.beginPath();
    g.moveTo(lx, pad.top + 6);
    g.lineTo(lx + 18, pad.top + 6);
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = "#374151";
    g.textAlign = "left";
    g.fillText(s.label, lx + 22, pad.top + 10);
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

function settings() {
  const num = (id) => {
    const v = $(id).value.trim();
    return v === "" ? undefined : Number(v);
  };
  const out = {
    epochs: num("#train-epochs"), batch_size: num("#train-batch"), learning_rate: num("#train-lr"),
    window_s: num("#train-window"), augment: $("#train-augment").checked,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

function renderJob(j) {
  const running = j.state === "running";
  $("#train-btn").disabled = running;
  $("#cancel-train-btn").hidden = !running;
  const fraction = j.epochs ? Math.min(1, (j.epoch || 0) / j.epochs) : 0;
  const bar = $("#train-progress");
  bar.style.width = `${(running ? fraction : j.state === "done" ? 1 : fraction) * 100}%`;
  bar.dataset.state = j.state;
  const last = (j.history || [])[j.history.length - 1];
  const words = {
    running: `Training… epoch ${j.epoch || 0} of ${j.epochs}`,
    done: `Done: ${j.model ? j.model.id : "model"} saved`,
    failed: `Training failed: ${j.error || "unknown error"}`,
    cancelled: "Training cancelled.",
  };
  let text = words[j.state] || j.state;
  if (last) text += ` · validation accuracy ${pct(last.val_accuracy)}, loss ${Number(last.val_loss).toFixed(3)}`;
  $("#train-status").textContent = text;
  $("#train-status").dataset.state = j.state;
  const mini = $("#job-mini");
  mini.hidden = !running;
  mini.textContent = running ? `Training ${j.epoch || 0}/${j.epochs}` : "";
  drawHistory(j.history || []);
}

async function poll() {
  clearTimeout(timer);
  if (!job) return;
  try {
    job = await api.job(job.id);
  } catch (err) {
    showError(err);
    timer = setTimeout(poll, POLL_MS * 4);
    return;
  }
  renderJob(job);
  if (job.state === "running") {
    timer = setTimeout(poll, POLL_MS);
    return;
  }
  await finished(job);
}

async function finished(j) {
  if (j.state === "done") {
    toast(`Training done${j.model && j.model.val_accuracy != null ? `: ${pct(j.model.val_accuracy)} on validation clips` : ""}.`);
  } else if (j.state === "failed") {
    showError(new Error(`Training failed: ${j.error || "unknown error"}`));
  }
  try {
    await reloadProject();
    if (j.model) selectModel(j.model.id);
  } catch (err) {
    showError(err);
  }
}

function follow(j) {
  job = j;
  renderJob(j);
  clearTimeout(timer);
  if (j.state === "running") timer = setTimeout(poll, POLL_MS);
}

export function initTraining() {
  initHood();
  $("#train-form").addEventListener("submit", (e) => {
    e.preventDefault();
    busy($("#train-btn"), async () => {
      const j = await api.train(state.projectId, settings());
      follow(j);
    }).then(() => { if (job && job.state === "running") $("#train-btn").disabled = true; });
  });
  $("#cancel-train-btn").addEventListener("click", (e) => {
    if (!job) return;
    busy(e.currentTarget, async () => {
      follow(await api.cancelJob(job.id));
      if (job.state === "running") timer = setTimeout(poll, POLL_MS);
    });
  });
  on("project", (project, { switched }) => {
    const t = project.training;
    if (t && t.state === "running" && (!job || job.id !== t.id || switched)) follow(t);
    else if (switched) {
      job = null;
      clearTimeout(timer);
      $("#train-status").textContent = "No training running.";
      $("#train-progress").style.width = "0%";
      $("#cancel-train-btn").hidden = true;
      $("#train-btn").disabled = false;
      $("#job-mini").hidden = true;
      showModelHistory();
    }
  });
  drawHistory([]);
}

export function trainingRunning() {
  return Boolean(job && job.state === "running");
}
