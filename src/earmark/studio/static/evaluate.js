// Score every model on the project's test set, side by side; or evaluate a model on an uploaded
// test set (zip or folder-per-class), or compare two models on it.

import { api } from "./api.js";
import { bindModelSelect, on, reloadProject, state } from "./state.js";
import { fileNotes } from "./samples.js";
import { $, busy, confusionRows, displayName, dropZone, filePicker, h, pct } from "./ui.js";

/** A folder picked or dropped arrives as "test/bass/session 2/x.wav": each file goes with its whole
 *  path from the folder picked on, which the server reads as `earmark evaluate MODEL test` reads that
 *  folder (the first folder under it is the class, "bass"; the folders below it are kept, so two
 *  x.wav in two sessions are two files). Stripping the top here would make a one-class set's
 *  "bass/session 2/x.wav" read as class "session 2" there (a top folder every file shares is the
 *  set's, as in a zip). A zip goes as it is. */
export function testSetFiles(files) {
  return files.map((f) => {
    if (!f.name.toLowerCase().endsWith(".zip")) {
      f.relativePath = (f.relativePath || f.webkitRelativePath || f.name).replace(/^\/+/, "");
    }
    return f;
  });
}

/** The files of a test set that were not scored, each with why (a report's `skipped`: {path, reason}),
 *  listed as an upload lists the files it skipped; none when every file was read. */
function skippedNotes(skipped) {
  return fileNotes({ skipped: (skipped || []).map((s) => ({ name: s.path, reason: s.reason })) });
}

/** An uploaded test set's skipped files, under a line that counts them; null when none was. */
function skippedView(skipped) {
  if (!(skipped || []).length) return null;
  return h("div", { class: "eval-skipped", "data-testid": "eval-skipped" },
    h("p", { class: "note", role: "status" }, `Skipped ${skipped.length} file${skipped.length === 1 ? "" : "s"} of the test set:`),
    ...skippedNotes(skipped));
}

/** A report: accuracy, macro F1, per-class precision/recall/F1, confusion, misclassified clips. */
export function reportView(report, title) {
  const labels = report.labels;
  const mis = report.misclassified || [];
  return h("div", { class: "report", "data-testid": "report" },
    title ? h("h3", {}, title) : null,
    // what makes the scores weak evidence: test clips the model was trained on, too few clips…
    h("ul", { class: "note", "data-testid": "report-warnings" }, ...(report.warnings || []).map((w) => h("li", {}, w))),
    h("div", { class: "big-numbers" },
      h("div", {}, h("strong", { "data-testid": "report-accuracy" }, pct(report.accuracy)), h("span", {}, "accuracy")),
      h("div", {}, h("strong", {}, Number(report.macro_f1).toFixed(2)), h("span", {}, "macro F1"))),
    h("table", { class: "per-class-table" },
      h("thead", {}, h("tr", {}, ...["class", "precision", "recall", "F1", "clips"].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...labels.map((l) => {
        const r = report.per_class[l] || {};
        return h("tr", {}, h("td", {}, displayName(l)), h("td", { class: "num" }, pct(r.precision)),
          h("td", { class: "num" }, pct(r.recall)), h("td", { class: "num" }, r.f1 === null || r.f1 === undefined ? "–" : Number(r.f1).toFixed(2)),
          h("td", { class: "num" }, String(r.support ?? "")));
      }))),
    h("table", { class: "confusion small" },
      h("thead", {}, h("tr", {}, h("th", { class: "corner" }, "true ↓ / predicted →"), ...labels.map((l) => h("th", {}, displayName(l))))),
      h("tbody", {}, ...labels.map((l, i) => h("tr", {}, h("th", {}, displayName(l)),
        ...confusionRows(report)[i].map((n, j) => h("td", { class: n ? (i === j ? "hit" : "miss") : "" }, String(n))))))),
    mis.length
      ? h("details", {}, h("summary", {}, `${mis.length} misclassified`),
        h("ul", { class: "misclassified" }, ...mis.slice(0, 200).map((m) =>
          h("li", {}, h("code", {}, m.file), ` ${displayName(m.true)} → ${displayName(m.predicted)} (${pct(m.confidence)}) `,
            // a clip of the project's test set: hear it where it is
            m.audio_url ? h("audio", { controls: true, preload: "none", src: m.audio_url, "aria-label": `Play ${m.file}` }) : null))))
      : h("p", { class: "muted" }, "No clip misclassified."));
}

function wrongList(title, items) {
  return h("div", {}, h("h4", {}, title, h("span", { class: "muted" }, ` (${items.length})`)),
    items.length
      ? h("ul", { class: "misclassified" }, ...items.slice(0, 100).map((m) =>
        h("li", {}, typeof m === "string" ? h("code", {}, m)
          : [h("code", {}, m.file || ""), ` ${m.true ? displayName(m.true) : ""} → ${m.predicted ? displayName(m.predicted) : ""}`])))
      : h("p", { class: "muted" }, "none"));
}

function fillModelB() {
  const select = $("#eval-model-b");
  const before = select.value;
  const models = (state.project && state.project.models) || [];
  select.replaceChildren(...models.map((m) => h("option", { value: m.id }, m.id)));
  const other = models.find((m) => m.id !== state.selectedModel);
  select.value = models.some((m) => m.id === before) ? before : other ? other.id : "";
}

/** Two entries that are one model (same weights and settings): the server scored it once; say so. */
function sameModelView(result, a, b) {
  const nameA = result.model_a || a;
  const nameB = result.model_b || b;
  return h("div", { class: "compare-same", "data-testid": "compare-same" },
    h("p", { class: "note", role: "status", "data-testid": "compare-same-note" },
      `A and B are one model (the same weights and settings): scored once. ` +
      `“${nameA}” and “${nameB}” are copies of each other; pick a model trained apart to compare.`),
    reportView(result.a, `A · ${nameA} = B · ${nameB}`));
}

async function run(files) {
  const out = $("#eval-result");
  const a = state.selectedModel;
  if (!a) throw new Error("train or import a model first, then pick it here");
  const comparing = $("#eval-compare").checked;
  const b = $("#eval-model-b").value;
  if (comparing && !b) throw new Error("pick a second model to compare with");
  if (comparing && b === a) throw new Error("pick two different models to compare (A and B are the same)");
  const prepared = testSetFiles(files);
  out.replaceChildren(h("p", { class: "muted" }, h("span", { class: "spinner" }), ` Evaluating on ${prepared.length} file(s)…`));
  try {
    if (!comparing) {
      const report = await api.evaluate(state.projectId, a, prepared);
      out.replaceChildren(...[skippedView(report.skipped), reportView(report, a)].filter(Boolean));
      return;
    }
    const result = await api.compare(state.projectId, a, b, prepared);
    const skipped = skippedView(result.a && result.a.skipped); // one set, read once for both models
    if (result.same_model) { // a file and its copy: one report, not two equal columns
      out.replaceChildren(...[skipped, sameModelView(result, a, b)].filter(Boolean));
      return;
    }
    out.replaceChildren(...[skipped].filter(Boolean),
      h("div", { class: "compare", "data-testid": "compare" },
        reportView(result.a, `A · ${result.model_a || a}`), reportView(result.b, `B · ${result.model_b || b}`)),
      h("div", { class: "compare" },
        wrongList("Wrong only with A", result.wrong_only_with_a || []),
        wrongList("Wrong only with B", result.wrong_only_with_b || [])));
  } catch (err) {
    out.replaceChildren(h("p", { class: "error-text" }, err.message));
    throw err;
  }
}

/** Every model's scores on the project's test set in one table (recall per class), then each report. */
export function sideBySide(result) {
  const scored = result.models.filter((m) => !m.error);
  const labels = scored.length ? scored[0].labels : [];
  const best = Math.max(...scored.map((m) => m.accuracy));
  const table = h("table", { class: "per-class-table side-by-side", "data-testid": "side-by-side" },
    h("thead", {}, h("tr", {}, h("th", {}, "model"), h("th", {}, "accuracy"), h("th", {}, "macro F1"),
      ...labels.map((l) => h("th", {}, `recall ${displayName(l)}`)), h("th", {}, "wrong"))),
    h("tbody", {}, ...result.models.map((m) => m.error
      ? h("tr", { "data-model": m.model }, h("td", {}, m.model), h("td", { class: "error-text", colspan: String(labels.length + 3) }, m.error))
      : h("tr", { "data-model": m.model, class: m.accuracy === best && scored.length > 1 ? "best" : "" },
        h("td", {}, m.model),
        h("td", { class: "num", "data-testid": "side-accuracy" }, pct(m.accuracy)),
        h("td", { class: "num" }, Number(m.macro_f1).toFixed(2)),
        ...labels.map((l) => h("td", { class: "num" }, m.per_class[l] && m.per_class[l].support ? pct(m.per_class[l].recall) : "–")),
        h("td", { class: "num" }, String((m.misclassified || []).length))))));
  return h("div", {},
    h("p", { class: "muted" }, `${result.n_clips} test clip${result.n_clips === 1 ? "" : "s"}` +
      `${(result.skipped || []).length ? `; skipped ${result.skipped.length} file(s) that could not be read` : ""}.`),
    ...skippedNotes(result.skipped),
    table,
    ...scored.map((m) => h("details", { class: "model-report", "data-model": m.model },
      h("summary", {}, `${m.model}: ${pct(m.accuracy)}`), reportView(m))));
}

function summarizeTestSet() {
  const classes = (state.project && state.project.classes) || [];
  const total = (state.project && state.project.test_samples) || 0;
  const withClips = classes.filter((c) => c.test_samples);
  $("#testset-summary").textContent = total
    ? `${total} clip${total === 1 ? "" : "s"}: ${withClips.map((c) => `${c.display_name || c.name} ${c.test_samples}`).join(", ")}. ` +
      "Never trained on; a recording's clips are all on one side."
    : "Empty. In 1 · Samples, switch a class to its Test set and record or drop files there, or move recordings " +
      "there (“Move to test set”). Record it apart from the training samples: another room, day or instrument.";
  $("#testset-run").disabled = !total || !((state.project && state.project.models) || []).length;
}

let scoring = 0; // the latest request: an older one that ends later, or one of another project, is not shown
let scoredOn = null; // what the scores on screen were taken on (testSetState), or null

/** What the test-set scores depend on: the models, and each class's test clips (count and length). */
function testSetState() {
  const project = state.project || {};
  return JSON.stringify([(project.models || []).map((m) => m.id),
    (project.classes || []).map((c) => [c.name, c.test_samples, c.test_seconds])]);
}

/** Scores on screen that no longer fit the project (a recording moved, a clip added, a model
 * trained or deleted) say so, instead of passing for the current test set's. */
function markStale() {
  const out = $("#testset-result");
  const stale = scoredOn !== null && scoredOn !== testSetState();
  const note = out.querySelector("[data-testid=testset-stale]");
  if (stale && !note) {
    out.prepend(h("p", { class: "note", role: "status", "data-testid": "testset-stale" },
      "The test set or the models have changed since these scores were taken: score again for the current ones."));
  } else if (!stale && note) {
    note.remove();
  }
}

async function scoreTestSet() {
  const out = $("#testset-result");
  const projectId = state.projectId;
  const ticket = ++scoring;
  const current = () => ticket === scoring && projectId === state.projectId;
  scoredOn = null;
  out.replaceChildren(h("p", { class: "muted" }, h("span", { class: "spinner" }), " Scoring every model on the test set…"));
  try {
    const result = await api.evaluateTestSet(projectId);
    if (!current()) return;
    out.replaceChildren(sideBySide(result));
    // The project as the server has it now: a reload still on its way (a model that just finished
    // training) would otherwise mark these fresh scores out of date.
    await reloadProject();
    if (current()) {
      scoredOn = testSetState();
      markStale();
    }
  } catch (err) {
    if (!current()) return;
    out.replaceChildren(h("p", { class: "error-text" }, err.message));
    throw err;
  }
}

export function initEvaluate() {
  on("project", (project, { switched }) => {
    summarizeTestSet();
    if (switched) { // scores of another project's test set must not stay under this one's
      scoring += 1;
      scoredOn = null;
      $("#testset-result").replaceChildren();
    }
    markStale();
  });
  $("#testset-run").addEventListener("click", (e) => busy(e.currentTarget, scoreTestSet));
  bindModelSelect($("#eval-model"));
  const onFiles = (files) => busy($("#eval-drop"), () => run(files));
  dropZone($("#eval-drop"), onFiles);
  filePicker($("#eval-zip"), onFiles);
  filePicker($("#eval-folder"), onFiles);
  $("#eval-compare").addEventListener("change", (e) => { $("#eval-model-b").disabled = !e.target.checked; });
  on("project", fillModelB);
  on("model", fillModelB);
}
