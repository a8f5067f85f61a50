// Training: the Train button and its settings (checked against the server's limits before
// sending), polling the job twice a second, the progress bar, live loss/accuracy curves (train and
// validation, charts.js) and Cancel. "Under the hood" (hood.js) shows the chosen model's own curves
// whenever no training is running.

import { api } from "./api.js";
import { drawHistory } from "./charts.js";
import { initHood, showModelHistory } from "./hood.js";
import { on, reloadProject, selectModel, state } from "./state.js";
import { $, busy, pct, readNumbers, showError, toast } from "./ui.js";

const POLL_MS = 500;
let job = null;
let timer = 0;

/** The advanced settings that were filled in; throws (for the error toast) when one is out of range. */
function settings() {
  const numbers = readNumbers({
    epochs: $("#train-epochs"), batch_size: $("#train-batch"), learning_rate: $("#train-lr"), window_s: $("#train-window"),
  });
  return { ...numbers, augment: $("#train-augment").checked };
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
  initHood({ trainingRunning });
  $("#train-form").addEventListener("submit", (e) => {
    e.preventDefault();
    busy($("#train-btn"), async () => {
      let chosen;
      try {
        chosen = settings();
      } catch (err) {
        $("#train-advanced").open = true; // show the field that is wrong
        throw err;
      }
      const j = await api.train(state.projectId, chosen);
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
