// Training: the Train button and its settings (checked against the server's limits before
// sending), polling the job twice a second, the progress bar, live loss/accuracy curves (train and
// validation, charts.js) and Cancel. "Under the hood" (hood.js) shows the chosen model's own curves
// whenever no training is running.
//
// One run at a time in the whole studio: the job followed here (and in the header badge) may be
// another project's. Its project's Train panel shows it; any other says so and keeps Train off,
// as it does while the project's hints say it cannot be trained yet.

import { api } from "./api.js";
import { drawHistory } from "./charts.js";
import { initHood, showModelHistory } from "./hood.js";
import { on, reloadProject, selectModel, state } from "./state.js";
import { $, busy, noteList, pct, readNumbers, showError, toast } from "./ui.js";

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

/** Back to the defaults (empty: "auto"), as for a project opened afresh. */
function resetSettings() {
  for (const input of [$("#train-epochs"), $("#train-batch"), $("#train-lr"), $("#train-window")]) {
    input.value = "";
    input.removeAttribute("aria-invalid");
  }
  $("#train-augment").checked = true;
  $("#train-advanced").open = false;
}

const running = (j) => Boolean(j && j.state === "running");
const ours = (j) => Boolean(j && j.project === state.projectId);

function projectName(id) {
  const p = (state.projects || []).find((x) => x.id === id);
  return (p && p.name) || id;
}

/** Train is off while any run goes on (one at a time) or while the project is not ready. */
function updateTrainButton() {
  const hints = (state.project && state.project.hints) || [];
  noteList($("#train-hints"), hints);
  $("#train-btn").disabled = running(job) || hints.length > 0 || !state.projectId;
}

/** The panel when no run of this project is shown. */
function renderIdle() {
  $("#train-status").textContent = "No training running.";
  $("#train-status").dataset.state = "idle";
  $("#train-progress").style.width = "0%";
  delete $("#train-progress").dataset.state;
  $("#cancel-train-btn").hidden = true;
  $("#stop-train-btn").hidden = true;
  showModelHistory();
}

/** Another project's run: said in this project's panel, Train off until it ends. */
function renderElsewhere(j) {
  renderIdle();
  $("#train-status").textContent =
    `Project “${projectName(j.project)}” is training (epoch ${j.epoch || 0}/${j.epochs}) — wait for it or cancel it there.`;
  $("#train-status").dataset.state = "elsewhere";
}

function renderMini(j) {
  const mini = $("#job-mini");
  mini.hidden = !running(j);
  mini.textContent = running(j) ? `Training ${j.epoch || 0}/${j.epochs}` : "";
  mini.title = running(j) ? `training project “${projectName(j.project)}”` : "";
}

function renderJob(j) {
  renderMini(j);
  updateTrainButton();
  if (!ours(j)) {
    if (running(j)) renderElsewhere(j);
    else renderIdle();
    return;
  }
  const isRunning = running(j);
  $("#cancel-train-btn").hidden = !isRunning;
  $("#stop-train-btn").hidden = !isRunning;
  // asked to cancel (the run ends before its next file, step or epoch): neither button does anything more
  $("#cancel-train-btn").disabled = Boolean(j.cancelling);
  $("#stop-train-btn").disabled = Boolean(j.stopping || j.cancelling);
  const fraction = j.epochs ? Math.min(1, (j.epoch || 0) / j.epochs) : 0;
  const bar = $("#train-progress");
  bar.style.width = `${(isRunning ? fraction : j.state === "done" ? 1 : fraction) * 100}%`;
  bar.dataset.state = j.state;
  const last = (j.history || [])[j.history.length - 1];
  const words = {
    running: j.cancelling ? "Cancelling…"
      : j.stopping ? `Stopping after epoch ${(j.epoch || 0) + 1} of ${j.epochs}, then keeping the model…`
      : j.epoch ? `Training… epoch ${j.epoch} of ${j.epochs}` : `Preparing the data, then ${j.epochs} epochs…`,
    done: j.epoch < j.epochs ? `Stopped after epoch ${j.epoch} of ${j.epochs}: ${j.model ? j.model.id : "model"} saved`
      : `Done: ${j.model ? j.model.id : "model"} saved`,
    failed: `Training failed: ${j.error || "unknown error"}`,
    cancelled: "Training cancelled.",
  };
  let text = words[j.state] || j.state;
  if (last) text += ` · validation accuracy ${pct(last.val_accuracy)}, loss ${Number(last.val_loss).toFixed(3)}`;
  $("#train-status").textContent = text;
  $("#train-status").dataset.state = j.state;
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

/** The new model's warnings (GET …/models/{m} "warnings"), under the training status. */
async function showWarnings(j) {
  try {
    const detail = await api.model(j.project, j.model.id);
    if (ours(j)) noteList($("#train-warnings"), Array.isArray(detail.warnings) ? detail.warnings : []);
  } catch (err) {
    showError(err);
  }
}

/** How the new model does on the project's test set (recordings it never heard), beside its
 *  validation figure; or how to get such a figure when the project has no test set. */
async function showTestScore(j) {
  const line = $("#train-test");
  const project = state.project;
  if (!ours(j) || !project || project.id !== j.project) return;
  if (!project.test_samples) {
    line.textContent = "For a figure on recordings the model never heard, give the project a test set " +
      "(1 · Samples, then Test set: record it apart, e.g. in another room).";
    return;
  }
  line.textContent = `Scoring ${j.model.id} on the project's test set…`;
  try {
    const [scored] = (await api.evaluateTestSet(j.project, [j.model.id])).models;
    if (!ours(j) || state.projectId !== j.project) return;
    line.textContent = scored.error ? scored.error
      : `On the project's test set: ${pct(scored.accuracy)} (${scored.n_clips} clips it never trained on` +
        `${j.model.val_accuracy != null ? `; validation ${pct(j.model.val_accuracy)}` : ""}). ` +
        "Every model side by side: 4 · Evaluate.";
  } catch (err) {
    if (ours(j)) line.textContent = `Not scored on the test set: ${err.message}`;
  }
}

async function finished(j) {
  if (!ours(j)) {
    // another project's run ended: this one may train now; its own page tells how it went
    job = null;
    renderMini(j);
    updateTrainButton();
    renderIdle();
    if (j.state === "done") toast(`Project “${projectName(j.project)}” finished training.`);
    return;
  }
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
  if (j.state === "done" && j.model) {
    await showWarnings(j);
    await showTestScore(j);
  }
}

/** Train was refused (409: a run goes on that this page had not heard of, started in another tab or
 *  window): fetch the project, whose view carries its latest run (`training`), and follow that run as
 *  if this page had started it (the "project" handler below does); a run of another project, from the
 *  studio's status. Whether this project's run is now followed. */
async function catchUp(projectId) {
  try {
    await reloadProject();
    if (state.projectId === projectId && !running(job)) {
      const { training } = await api.status();
      if (running(training) && !running(job)) follow(training);
    }
  } catch (err) {
    console.error(err); // the refusal is still said
  }
  return running(job) && job.project === projectId && state.projectId === projectId;
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
      noteList($("#train-warnings"), []);
      $("#train-test").textContent = "";
      const project = state.projectId;
      let j;
      try {
        j = await api.train(project, chosen);
      } catch (err) {
        if (err.status !== 409 || !(await catchUp(project))) throw err;
        toast("This project is already training (started in another tab or window): its run is shown here.");
        return;
      }
      follow(j);
    }).then(updateTrainButton);
  });
  $("#stop-train-btn").addEventListener("click", (e) => {
    if (!job) return;
    busy(e.currentTarget, async () => {
      follow(await api.stopJob(job.id));
      if (job.state === "running") timer = setTimeout(poll, POLL_MS);
    }).then(() => { if (job) renderJob(job); }); // busy() re-enabled it: "stopping" keeps it off
  });
  $("#cancel-train-btn").addEventListener("click", (e) => {
    if (!job) return;
    busy(e.currentTarget, async () => {
      follow(await api.cancelJob(job.id));
      if (job.state === "running") timer = setTimeout(poll, POLL_MS);
    }).then(() => { if (job) renderJob(job); }); // busy() re-enabled it: "cancelling" keeps it off
  });
  on("project", (project, { switched }) => {
    const t = project.training;
    if (switched) {
      resetSettings();
      noteList($("#train-warnings"), []);
      $("#train-test").textContent = "";
    }
    if (running(t) && (!job || job.id !== t.id || switched)) {
      follow(t);
    } else if (switched) {
      // a run of another project goes on (and is still followed); else nothing runs
      if (running(job)) renderJob(job);
      else {
        job = null;
        clearTimeout(timer);
        renderMini(null);
        renderIdle();
        // a page opened while another project trains: the studio's status says which run goes on
        api.status().then((s) => { if (running(s.training) && !running(job)) { follow(s.training); updateTrainButton(); } })
          .catch(() => {});
      }
    }
    updateTrainButton();
  });
  drawHistory([]);
}

export function trainingRunning() {
  return Boolean(running(job) && ours(job));
}
