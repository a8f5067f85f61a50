// "Under the hood" for the selected model: per-class accuracy (recall), the confusion matrix as a
// clickable table, and the validation clips of a cell (play, spectrogram, move or delete in one click).

import { api } from "./api.js";
import { drawHistory } from "./charts.js";
import { bindModelSelect, moveBackIn, on, reloadProject, selectModel, state, undoIn } from "./state.js";
import { $, busy, confusionRows, deletedToast, displayName, focusLost, h, labelColour, movedToast, noteList, pct, shortName, showError } from "./ui.js";

let detail = null; // the selected model's full record (ModelInfo + history + validation)
let token = 0;
let trainingRunning = () => false; // from initHood: while a run goes on, its live curves stay

/** The chosen model's own curves, unless a training run is drawing its live ones. */
export function showModelHistory() {
  if (!trainingRunning()) drawHistory((detail && detail.history) || []);
}

function renderPerClass(report) {
  const labels = report.labels;
  $("#per-class").replaceChildren(h("table", { class: "per-class-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "class"), h("th", {}, "accuracy"), h("th", {}, ""), h("th", {}, "clips"))),
    h("tbody", {}, ...labels.map((label) => {
      const r = report.per_class[label] || {};
      return h("tr", { "data-label": label },
        h("td", {}, displayName(label)),
        h("td", { class: "num", "data-testid": `recall-${label}` }, pct(r.recall)),
        h("td", { class: "bar-cell" }, h("div", { class: "bar-track" },
          h("div", { class: "bar-fill", style: { width: `${100 * (r.recall || 0)}%`, background: labelColour(label, labels) } }))),
        h("td", { class: "num" }, String(r.support ?? "")));
    }))));
}

function renderConfusion(report) {
  const { labels } = report;
  const confusion = confusionRows(report);
  const cells = report.cells || {};
  const rowMax = confusion.map((row) => Math.max(1, row.reduce((a, b) => a + b, 0)));
  const table = h("table", { class: "confusion", id: "confusion-table", "data-testid": "confusion-table" },
    h("thead", {}, h("tr", {}, h("th", { class: "corner" }, "true ↓ / predicted →"),
      ...labels.map((l) => h("th", { scope: "col" }, displayName(l))))),
    h("tbody", {}, ...labels.map((trueLabel, i) => h("tr", {},
      h("th", { scope: "row" }, displayName(trueLabel)),
      ...labels.map((predLabel, j) => {
        const n = confusion[i][j];
        const key = `${trueLabel}|${predLabel}`;
        const share = n / rowMax[i];
        const colour = i === j ? `rgba(22, 163, 74, ${0.12 + 0.6 * share})` : n ? `rgba(220, 38, 38, ${0.15 + 0.6 * share})` : "transparent";
        const clips = (cells[key] || []).length;
        return h("td", { style: { background: colour } },
          h("button", {
            type: "button", class: "cell", "data-cell": key, "data-testid": `cell-${trueLabel}-${predLabel}`,
            disabled: !n && !clips,
            "aria-label": `${n} ${displayName(trueLabel)} clips predicted as ${displayName(predLabel)}; show them`,
            onclick: (e) => openCell(key, e.currentTarget),
          }, String(n)));
      }))))
  );
  $("#confusion").replaceChildren(table);
}

/** [start, end] in seconds of a clip cut from a longer file: from the reference, else from its
 *  audio URL's media fragment ("#t=START,END"); null for a whole file. */
export function clipSpan(ref) {
  if (ref.start_s != null && ref.end_s != null) return [Number(ref.start_s), Number(ref.end_s)];
  const m = /#t=(?:npt:)?(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)/.exec(ref.audio_url || "");
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/**
 * One validation clip of a confusion cell: listen, look, move or delete in one click. Its
 * audio_url and spectrogram_url are used exactly as the server gives them: a "#t=START,END" media
 * fragment makes the player play just the clip of a longer file, a "?v=" query keeps caches fresh.
 */
function clipCard(ref) {
  const classes = (state.project && state.project.classes) || [];
  const status = h("span", { class: "clip-status" }, ref.exists === false ? "moved or deleted since training"
    : ref.test ? "in the test set now (moved there with its recording)" : "");
  const actions = h("div", { class: "clip-actions" });
  const span = clipSpan(ref);
  const gone = ref.exists === false; // nothing to fetch: no broken picture, no player that cannot play
  const card = h("div", { class: `clip-card${gone ? " gone" : ""}`, "data-testid": "cell-clip", "data-sample": ref.id },
    gone ? h("div", { class: "spectro spectro-gone", role: "img", "aria-label": `${ref.id} is no longer in the project` })
      : h("img", { class: "spectro", src: ref.spectrogram_url, alt: `Spectrogram of ${ref.id}`, loading: "lazy" }),
    h("div", { class: "sample-name", title: ref.id }, shortName(ref.id)),
    h("div", { class: "sample-meta" }, `in ${displayName(ref.class_name)}`,
      span ? h("span", { class: "clip-span", "data-testid": "clip-span" }, ` · ${span[0].toFixed(1)}–${span[1].toFixed(1)} s`) : ""),
    gone ? "" : h("audio", { controls: true, preload: "none", src: ref.audio_url, "data-testid": "cell-clip-audio",
      "aria-label": `Play ${ref.id}` }),
    actions, status);
  if (!gone && !ref.test) { // a clip in the test set now is heard here, and changed in Samples
    const done = (text) => {
      // its buttons go: the focus on them goes to the next clip that can still be moved, else to Close
      const hadFocus = actions.contains(document.activeElement) || focusLost();
      card.classList.add("gone");
      actions.replaceChildren();
      status.textContent = text;
      if (hadFocus) {
        const next = [...card.parentElement.children].filter((c) => c !== card && c.querySelector(".clip-actions button"));
        const after = next.find((c) => card.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING) || next[0];
        const target = after ? after.querySelector(".clip-actions button") : $("#cell-clips [data-action=close-cell]");
        if (target) target.focus();
      }
    };
    for (const c of classes) {
      if (c.name === ref.class_name) continue;
      actions.append(h("button", {
        type: "button", class: "small", "data-move-to": c.name, "aria-label": `Move ${ref.id} to ${c.display_name || c.name}`,
        onclick: (e) => busy(e.currentTarget, async () => {
          const moved = await api.moveSample(state.projectId, ref.class_name, ref.id, c.name);
          done(`moved to ${c.display_name || c.name}`);
          const moveBack = moveBackIn(state.projectId);
          movedToast(ref.id, c.display_name || c.name, async () => {
            const back = await moveBack(moved, ref.class_name);
            // the cell was shown again meanwhile (a class renamed in another tab), from a record made before this
            // Undo: show it from a fresh one, which says where the clip is now
            if (!card.isConnected) await loadDetail({ keepCell: true });
            else if (back.class_name === ref.class_name && back.id === ref.id) card.replaceWith(clipCard(ref)); // movable again
            else status.textContent = `moved back as ${back.class_name}/${back.id}`;
            return back;
          });
          await reloadProject();
        }),
      }, `→ ${c.display_name || c.name}`));
    }
    // A clip cut from a longer file (start_s > 0) is not a file of its own: moving or deleting
    // it acts on the whole recording, so say so and ask first.
    const part = Number(ref.start_s) > 0;
    actions.append(h("button", {
      type: "button", class: "small danger ghost", "data-action": "delete",
      "aria-label": part ? `Delete the whole recording ${ref.id}` : `Delete ${ref.id}`,
      onclick: (e) => busy(e.currentTarget, async () => {
        if (part && !confirm(`This clip is part of ${ref.id}. Delete the whole recording?`)) return;
        const result = await api.deleteSample(state.projectId, ref.class_name, ref.id);
        done("deleted");
        const undo = undoIn(state.projectId);
        deletedToast(ref.id, result.undo, async (undoId) => {
          const back = await undo(undoId);
          const same = back.restored.some((s) => s.class_name === ref.class_name && s.id === ref.id);
          if (!card.isConnected) await loadDetail({ keepCell: true }); // shown again meanwhile, as for a move's Undo
          else if (same) card.replaceWith(clipCard(ref)); // playable and movable again
          else status.textContent = `restored as ${back.restored.map((s) => `${s.class_name}/${s.id}`).join(", ")}`;
          return back;
        });
        await reloadProject();
      }),
    }, part ? "Delete recording" : "Delete"));
  }
  return card;
}

/** Close the open cell's clip list; the focus, when it was in the list, goes back to the cell. */
function closeCell() {
  const box = $("#cell-clips");
  const hadFocus = box.contains(document.activeElement) || focusLost();
  box.hidden = true;
  const cell = $("#confusion .cell.open");
  if (hadFocus && cell && !cell.disabled) cell.focus();
}

function openCell(key, button) {
  for (const b of document.querySelectorAll("#confusion .cell")) b.classList.toggle("open", b === button);
  const [trueLabel, predLabel] = key.split("|");
  const refs = ((detail && detail.validation && detail.validation.cells) || {})[key] || [];
  const box = $("#cell-clips");
  box.hidden = false;
  box.replaceChildren(
    h("div", { class: "row" },
      h("h3", {}, `${displayName(trueLabel)} heard as ${displayName(predLabel)}`, h("span", { class: "muted" }, ` · ${refs.length} clip${refs.length === 1 ? "" : "s"}`)),
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "ghost small", "data-action": "close-cell", "aria-label": "Close the clip list",
        onclick: closeCell }, "Close")),
    refs.length
      ? h("div", { class: "clip-grid" }, ...refs.map(clipCard))
      : h("p", { class: "muted" }, "No clips are listed for this cell."));
}

/** "Trained with 24 epochs · batch 64 · …" from a model's training settings (what its file records);
 * a run stopped early ("Stop and keep") says "Stopped at epoch 3 of 24 · batch 64 · …". */
export function settingsLine(settings, stoppedAtEpoch) {
  if (!settings || typeof settings !== "object" || !Object.keys(settings).length) return "";
  const s = settings;
  const parts = [];
  const stopped = stoppedAtEpoch != null;
  if (stopped) parts.push(`Stopped at epoch ${stoppedAtEpoch}${s.epochs != null ? ` of ${s.epochs}` : ""}`);
  else if (s.epochs != null) parts.push(`${s.epochs} epochs`);
  if (s.batch_size != null) parts.push(`batch ${s.batch_size}`);
  if (s.learning_rate != null) parts.push(`learning rate ${Number(s.learning_rate).toPrecision(2)}`);
  if (s.window_s != null) parts.push(`${Number(s.window_s).toFixed(2).replace(/\.?0+$/, "")} s windows`);
  if (s.augment != null) parts.push(`augmentation ${s.augment ? "on" : "off"}`);
  if (s.backbone) parts.push(s.backbone === "none" ? "no pretrained backbone"
    : `backbone ${s.backbone}${s.freeze_backbone ? " (frozen)" : " (fine-tuned)"}`);
  if (s.seed != null) parts.push(`seed ${s.seed}`);
  if (!parts.length) return "";
  return stopped ? `${parts.join(" · ")}.` : `Trained with ${parts.join(" · ")}.`;
}

/** The key ("true|predicted") a cell of record `before` has in record `now`: the record names classes as the
 *  project does (`renamed_classes`: each class renamed since training, as trained → as shown), so a class
 *  renamed between the two is followed to its name now. */
function cellKeyNow(key, before, now) {
  const shownBefore = (before && before.renamed_classes) || {};
  const trained = (name) => Object.keys(shownBefore).find((t) => shownBefore[t] === name) ?? name;
  const shownNow = (now && now.renamed_classes) || {};
  return key.split("|").map((name) => shownNow[trained(name)] ?? trained(name)).join("|");
}

/** Load the selected model's record and show it. `keepCell`: the clips of the cell open now are shown
 *  again from the new record (a class renamed, added or deleted: its clips are named as they are now). */
async function loadDetail({ keepCell = false } = {}) {
  const id = state.selectedModel;
  const mine = ++token;
  const open = keepCell && !$("#cell-clips").hidden ? $("#confusion .cell.open") : null;
  const openKey = open && open.dataset.cell;
  const before = detail; // the record the open cell was named by
  if (!openKey) $("#cell-clips").hidden = true;
  $("#delete-model-btn").disabled = !id;
  noteList($("#hood-warnings"), []);
  if (!id || !state.projectId) {
    detail = null;
    $("#hood-summary").textContent = "Train a model to see how it does on clips it did not learn from.";
    $("#hood-settings").textContent = "";
    $("#per-class").replaceChildren();
    $("#confusion").replaceChildren();
    showModelHistory();
    return;
  }
  $("#hood-summary").textContent = "Loading…";
  try {
    const d = await api.model(state.projectId, id);
    if (mine !== token) return;
    detail = d;
    const v = d.validation;
    const ds = d.dataset || {};
    const size = ds.train_clips;
    $("#hood-summary").textContent = v
      ? `${d.id}: ${pct(v.accuracy)} of ${v.n_clips ?? ds.val_clips ?? ""} validation clips right${weakest(v)}, macro F1 ${Number(v.macro_f1).toFixed(2)}` +
        `${size ? ` · trained on ${size} clips` : ""}${d.train_seconds ? ` in ${Number(d.train_seconds).toFixed(0)} s` : ""}`
      : `${d.id}: no validation report in this model (imported?) · labels ${d.labels.map(displayName).join(", ")}`;
    $("#hood-settings").textContent = settingsLine(d.settings, d.stopped_at_epoch);
    noteList($("#hood-warnings"), Array.isArray(d.warnings) ? d.warnings : []); // "only 3 validation clips…"
    if (v) {
      renderPerClass(v);
      renderConfusion(v);
      const key = openKey && cellKeyNow(openKey, before, d);
      const cell = key && [...document.querySelectorAll("#confusion .cell")].find((b) => b.dataset.cell === key);
      if (cell) openCell(key, cell);
      else $("#cell-clips").hidden = true;
    } else {
      $("#cell-clips").hidden = true;
      $("#per-class").replaceChildren();
      $("#confusion").replaceChildren();
    }
    showModelHistory();
  } catch (err) {
    if (mine === token) $("#hood-summary").textContent = "Could not load this model.";
    showError(err);
  }
}

/** The overall figure can hide a class the model mostly gets wrong (30 of 37 clips background): the
 * worst class, named beside it when it is under half right and the accuracy is at least 0.1 above the
 * mean of the scored classes' recalls (the rule of EvaluationReport._uneven_warning in report.py).
 * A balanced set where every class is as poor says nothing here: the figure itself shows it. */
function weakest(report) {
  const scored = Object.entries(report.per_class || {}).filter(([, r]) => r.support > 0 && r.recall != null);
  if (scored.length < 2) return "";
  const [label, r] = scored.reduce((a, b) => (b[1].recall < a[1].recall ? b : a));
  const meanRecall = scored.reduce((sum, [, c]) => sum + c.recall, 0) / scored.length;
  if (!(r.recall < 0.5) || !(Number(report.accuracy) - meanRecall >= 0.1)) return "";
  return ` (but only ${pct(r.recall)} of ${displayName(label)})`;
}

/** options.trainingRunning(): whether a training run is drawing the charts now. */
export function initHood(options = {}) {
  if (options.trainingRunning) trainingRunning = options.trainingRunning;
  // Escape in an open cell's clip list, or on its cell, closes it
  for (const area of [$("#cell-clips"), $("#confusion")]) {
    area.addEventListener("keydown", (e) => {
      if (e.key !== "Escape" || $("#cell-clips").hidden) return;
      e.preventDefault();
      closeCell();
    });
  }
  bindModelSelect($("#hood-model"));
  on("model", loadDetail);
  let shown = null;
  let classes = null; // the project's class names when its model was last shown
  on("project", (project, { switched }) => {
    const now = project.classes.map((c) => c.name).join("\n");
    const changed = classes !== null && now !== classes;
    classes = now;
    if (switched || shown !== state.selectedModel) {
      shown = state.selectedModel;
      loadDetail();
    } else if (changed) {
      // a class renamed, added or deleted (here or in another tab): the clips' classes and the classes
      // they can be moved to are the server's again, or a move would name a class that is gone
      loadDetail({ keepCell: true });
    }
  });
  on("model", () => { shown = state.selectedModel; });
  $("#delete-model-btn").addEventListener("click", (e) => {
    const id = state.selectedModel;
    if (!id || !confirm(`Delete the model ${id}? It is kept in the project's .trash folder.`)) return;
    busy(e.currentTarget, async () => {
      const result = await api.deleteModel(state.projectId, id);
      await reloadProject();
      const undo = undoIn(state.projectId);
      deletedToast(`model ${id}`, result.undo, async (undoId) => {
        const back = await undo(undoId);
        const [model] = back.models; // its own id, or a free one if the name was taken meanwhile
        if (model && (state.project?.models || []).some((m) => m.id === model)) selectModel(model);
        return back;
      });
    }).catch(showError);
  });
}
