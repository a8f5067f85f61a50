// Samples screen: classes (add, rename, delete, counts, hints), the selected class's samples
// (spectrogram, play, move, delete, source recording) and uploads (files, folders, zips, drops),
// in its training samples or its test set (the switch above them: state.sampleSet).

import { api } from "./api.js";
import { classInfo, classLabel, moveBackIn, on, reloadProject, selectClass, selectSet, state, undoIn } from "./state.js";
import { $, busy, deletedToast, dropZone, filePicker, focusLost, h, movedToast, readNumber, secs, shortName, showError, toast } from "./ui.js";

let loadToken = 0;
/** Whether the focus was on a class (or about to be) when the class list is drawn next. */
let classFocus = false;
/** Where the focus goes when the sample grid is drawn next ({sample, index}: that sample's card, its
 *  index-th control), set when it was in the grid; null: the grid does not take the focus. */
let gridFocus = null;
/** The class the Rename form is open for ({ project, className }), or null while it is closed. */
let renaming = null;

/**
 * Run `action` (a change to a class of project `projectId`, or to its samples); when the server answers that
 * the class is gone (404 "no class 'drums' in project …": renamed or deleted in another tab or window),
 * and that project is still open, fetch it again, so the page lists its classes as they are (the class
 * shown under its new name); then throw the error for the caller to say.
 */
async function keepingClassesCurrent(action, projectId = state.projectId) {
  try {
    return await action();
  } catch (err) {
    if (err && err.status === 404 && /^no class /.test(err.message) && projectId === state.projectId) {
      await reloadProject().catch(showError);
    }
    throw err;
  }
}

function renderClasses(project) {
  const list = $("#class-list");
  // a redraw with the focus on a class (choosing it redraws the list) leaves it on that class; after a
  // class's delete, on the class selected then
  const focused = list.contains(document.activeElement) ? document.activeElement.dataset.class : null;
  const hadFocus = Boolean(focused) || classFocus;
  classFocus = false;
  list.replaceChildren(...project.classes.map((c) => {
    const button = h("button", {
      type: "button", class: "class-item", "data-class": c.name, "data-testid": `class-${c.name}`,
      "aria-pressed": String(c.name === state.selectedClass),
      onclick: () => selectClass(c.name),
    },
    h("span", { class: "class-name", title: c.is_background ? "always there: what your sounds are not" : c.name }, c.display_name || c.name),
    h("span", { class: "class-count", "data-testid": `count-${c.name}` }, `${c.samples} · ${secs(c.seconds || 0)}`,
      c.test_samples ? h("span", { class: "test-count", title: "clips in the test set" }, ` · test ${c.test_samples}`) : null),
    c.enough === false ? h("span", { class: "warn-dot", title: c.hint || "too few samples", "aria-label": "too few samples" }, "!") : null);
    return h("li", {}, button);
  }));
  if (hadFocus) {
    const buttons = [...list.querySelectorAll("button")];
    const selected = buttons.find((b) => b.dataset.class === focused)
      || buttons.find((b) => b.getAttribute("aria-pressed") === "true") || buttons[0];
    if (selected) selected.focus();
  }
  const hints = $("#project-hints");
  const classHints = new Set(project.classes.map((c) => c.hint).filter(Boolean));
  hints.replaceChildren(...(project.hints || []).filter((text) => !classHints.has(text)).map((text) => h("li", {}, text)),
    // what earmark did on its own (a move cut short by a crash, finished): said, and no bar to training
    ...(project.notes || []).map((text) => h("li", { class: "note", "data-testid": "project-note" }, text)));
}

function renderClassHead() {
  const c = classInfo();
  $("#class-title").textContent = c ? c.display_name || c.name : "–";
  $("#class-stats").textContent = c ? `${c.samples} samples · ${secs(c.seconds || 0)}` +
    (c.test_samples ? ` · test set ${c.test_samples} · ${secs(c.test_seconds || 0)}` : "") : "";
  $("#rename-class-btn").hidden = !c || c.is_background;
  $("#delete-class-btn").hidden = !c || c.is_background;
  // a redraw of the class it was opened for (a reload: an upload still filling a class, a change in
  // another tab) leaves the Rename form open, with what is typed in it; another class, or this one
  // deleted or renamed elsewhere (the page then shows it under its new name), closes it
  if (!c || c.is_background || !renaming || renaming.project !== state.projectId || renaming.className !== c.name) {
    closeRename();
  }
  const hint = $("#class-hint");
  hint.hidden = !c || !c.hint;
  hint.textContent = c && c.hint ? c.hint : "";
  hint.classList.toggle("warn", Boolean(c && c.enough === false));
  for (const el of document.querySelectorAll("[data-class-name]")) el.textContent = c ? c.display_name || c.name : "";
  renderSetSwitch();
}

/** Close the Rename form; `refocus`: the focus goes back to the Rename button that opened it. */
function closeRename({ refocus = false } = {}) {
  const form = $("#rename-class-form");
  const hadFocus = form.contains(document.activeElement);
  renaming = null;
  form.hidden = true;
  if ((refocus || hadFocus) && !$("#rename-class-btn").hidden) $("#rename-class-btn").focus();
}

/** The switch between the class's training samples and its test set, and the words that say which. */
function renderSetSwitch() {
  const c = classInfo();
  const test = state.sampleSet === "test";
  $("#set-training").setAttribute("aria-pressed", String(!test));
  $("#set-test").setAttribute("aria-pressed", String(test));
  $("#set-training-count").textContent = c ? `(${c.samples})` : "";
  $("#set-test-count").textContent = c ? `(${c.test_samples || 0})` : "";
  $("#set-note").hidden = !test;
  $("#sample-heading").textContent = test ? "Test set" : "Training samples";
  document.body.classList.toggle("test-set", test);
  for (const el of document.querySelectorAll("[data-set-name]")) el.textContent = test ? "the test set" : "the training samples";
}

/** One sample card: spectrogram thumbnail, player, recording, move (to another class, or its
 *  recording to the other set) and delete. The sample's audio_url and spectrogram_url are used
 *  exactly as given (a "?v=" cache key, and "set=test" for a test sample, stay on them). */
export function sampleCard(sample) {
  const classes = (state.project && state.project.classes) || [];
  const set = sample.test ? "test" : "training";
  const whole = sample.recording && sample.recording !== sample.id.replace(/\.[^.]*$/, "");
  const switchSet = h("button", {
    type: "button", class: "ghost small", "data-action": sample.test ? "to-training" : "to-test",
    "aria-label": `Move ${sample.id}${whole ? ` and the rest of ${sample.recording}` : ""} to the ${sample.test ? "training samples" : "test set"}`,
    title: whole ? `moves every clip of the recording ${sample.recording}, so that no take is on both sides` : "",
    onclick: (e) => busy(e.currentTarget, () => keepingClassesCurrent(async () => {
      const { moved } = sample.test ? await api.toTraining(state.projectId, sample.class_name, sample.id)
        : await api.toTest(state.projectId, sample.class_name, sample.id);
      focusAfter(card);
      card.remove();
      // a take's clips in other classes (part of it relabelled) go with it: say which classes
      const classes = [...new Set(moved.map((m) => m.class_name || sample.class_name))].map(classLabel);
      toast(`Moved ${moved.length} clip${moved.length === 1 ? "" : "s"}${whole ? ` of ${sample.recording}` : ""} to the ` +
        `${sample.test ? "training samples" : "test set"} of ${classes.join(" and ")}.`);
      await reloadProject();
    })) }, sample.test ? "Move to training" : "Move to test set");
  const move = h("select", { class: "move-select", "data-action": "move", "aria-label": `Move ${sample.id} to another class` },
    h("option", { value: "" }, "Move to…"),
    ...classes.filter((c) => c.name !== sample.class_name).map((c) => h("option", { value: c.name }, c.display_name || c.name)));
  const card = h("div", { class: "sample-card", "data-sample": sample.id, "data-testid": "sample-card" },
    h("img", { class: "spectro", src: sample.spectrogram_url, alt: `Spectrogram of ${sample.id}`, loading: "lazy" }),
    h("div", { class: "sample-name", title: sample.id }, shortName(sample.id)),
    h("div", { class: "sample-meta" },
      `${(sample.duration_s ?? 0).toFixed(2)} s`,
      sample.recording ? h("span", { class: "recording", title: "the recording this sample was cut from" }, ` · from ${sample.recording}`) : null),
    h("audio", { controls: true, preload: "none", src: sample.audio_url, "aria-label": `Play ${sample.id}` }),
    h("div", { class: "sample-actions" }, move, switchSet,
      h("button", { type: "button", class: "danger ghost small", "aria-label": `Delete ${sample.id}`, "data-action": "delete",
        onclick: (e) => busy(e.currentTarget, () => keepingClassesCurrent(async () => {
          const result = await api.deleteSample(state.projectId, sample.class_name, sample.id, set);
          focusAfter(card);
          card.remove();
          deletedToast(sample.id, result.undo, undoIn(state.projectId));
          await reloadProject();
        })) }, "Delete")));
  move.addEventListener("change", async () => {
    const to = move.value;
    if (!to) return;
    await busy(move, () => keepingClassesCurrent(async () => {
      const moved = await api.moveSample(state.projectId, sample.class_name, sample.id, to, set);
      focusAfter(card);
      card.remove();
      const moveBack = moveBackIn(state.projectId);
      movedToast(sample.id, classLabel(to), () => moveBack(moved, sample.class_name, set));
      await reloadProject();
    }));
    // a move that failed (the error says why) left the sample where it is: the select says "Move to…"
    // again, not a class it is not in, and the same class can be picked again
    move.value = "";
  });
  return card;
}

/** The focus, when it is on `card` that is about to go: to the next card's first button (the one before
 *  when it was the last), else to the list's heading; and there again when the grid is drawn anew. */
function focusAfter(card) {
  if (!card.contains(document.activeElement) && !focusLost()) return;
  const other = card.nextElementSibling || card.previousElementSibling;
  const button = other && other.querySelector("button");
  if (button) {
    gridFocus = { sample: other.dataset.sample, index: controls(other).indexOf(button) };
    button.focus();
  } else {
    gridFocus = { sample: null, index: 0 };
    $("#sample-list-heading").focus();
  }
}

const controls = (card) => [...card.querySelectorAll("button, select, audio")];

/** The focus back where it was (gridFocus) in a grid drawn anew, when it was in the grid or got lost. */
function restoreGridFocus(grid) {
  const wanted = gridFocus;
  gridFocus = null;
  if (!wanted || !focusLost()) return;
  const card = wanted.sample && [...grid.children].find((c) => c.dataset.sample === wanted.sample);
  const target = card ? controls(card)[wanted.index] || card.querySelector("button") : $("#sample-list-heading");
  if (target) target.focus();
}

export async function loadSamples() {
  const grid = $("#sample-grid");
  const name = state.selectedClass;
  const set = state.sampleSet;
  const token = ++loadToken;
  if (!state.projectId || !name) {
    grid.replaceChildren();
    return;
  }
  grid.setAttribute("aria-busy", "true");
  try {
    const { samples } = await api.samples(state.projectId, name, set);
    if (token !== loadToken) return;
    $("#sample-count").textContent = `(${samples.length})`;
    const empty = set === "test"
      ? "No test samples yet: record or drop files above, or move recordings here from the training samples (“Move to test set”)."
      : "No samples yet: record some or drop files above.";
    const active = document.activeElement;
    const card = active && grid.contains(active) ? active.closest(".sample-card") : null;
    if (card) gridFocus = { sample: card.dataset.sample, index: controls(card).indexOf(active) };
    grid.replaceChildren(...(samples.length ? samples.map((s) => sampleCard(s)) : [h("p", { class: "muted empty" }, empty)]));
    restoreGridFocus(grid);
  } catch (err) {
    if (token !== loadToken) return;
    if (err.status === 404 && await renamedOrDeletedElsewhere(name)) return;
    if (token !== loadToken) return; // the reload showed the project again, and loaded its samples anew
    showError(err);
  } finally {
    if (token === loadToken) grid.removeAttribute("aria-busy");
  }
}

/** Whether class `name`, whose samples were not found, was renamed or deleted in another tab since this
 *  page last looked: then the project is shown as it is now (under the class's new name, or another class),
 *  which is all the page has to say. A reload that fails says why itself (the project deleted meanwhile).
 *  Else (the class is still there) the caller shows its own error. */
async function renamedOrDeletedElsewhere(name) {
  let project;
  try {
    project = await reloadProject();
  } catch (err) {
    showError(err);
    return true;
  }
  // null: a later reload superseded this one; the project the page holds is at least as new
  const now = project || state.project;
  return !now || !now.classes.some((c) => c.name === name);
}

/** Show what an upload added and what it skipped (each skipped file with its reason), and the files
 *  it kept though they may be cut short (each with what the decoder found). */
export function showUploadResult(result, target = $("#upload-result")) {
  const added = result.added || [];
  const skipped = result.skipped || [];
  const nothing = !added.length && !skipped.length && !(result.warnings || []).length; // only .DS_Store and the like
  target.replaceChildren(
    h("p", { class: added.length ? "ok" : "muted", "data-testid": "added-count" }, nothing
      ? "Added no samples: the upload held only hidden or system files (such as .DS_Store), which are left out. "
        + "Choose the audio files, or the folder that holds them."
      : `Added ${added.length} sample${added.length === 1 ? "" : "s"}${skipped.length ? `, skipped ${skipped.length}` : ""}.`),
    ...fileNotes(result));
}

/** The lists under an upload's or an import's summary: each file skipped with its reason, and each
 *  kept though something is wrong with it (`result.skipped`, `result.warnings`); none when empty. */
export function fileNotes(result) {
  const skipped = result.skipped || [];
  const warned = result.warnings || [];
  return [
    skipped.length ? h("ul", { class: "skipped", "data-testid": "skipped-list" },
      ...skipped.map((s) => h("li", {}, h("strong", {}, s.name), `: ${s.reason}`))) : null,
    warned.length ? h("ul", { class: "skipped warned", "data-testid": "warned-list" },
      ...warned.map((w) => h("li", {}, h("strong", {}, w.name), ` (kept): ${w.message}`))) : null,
  ].filter(Boolean);
}

/**
 * Add files to a class of `projectId`, to its training samples (set "training") or its test set
 * ("test"; every caller names it: a take or a misfire must not follow the Samples screen's switch
 * by accident), then refresh the page.
 * Throws only when the upload itself failed: once the server kept the files, a failed refresh
 * is shown as an error but the result still comes back (so a take is never sent twice).
 */
export async function uploadTo(className, files, fields, projectId, set) {
  if (set !== "training" && set !== "test") throw new Error(`uploadTo: set must be "training" or "test", not ${set}`);
  const result = await keepingClassesCurrent(
    () => api.addSamples(projectId, className, files, fields, set), projectId);
  if (projectId === state.projectId) await reloadProject().catch(showError);
  return result;
}

function initUploads() {
  const onFiles = (files) => {
    if (!files.length) return;
    const c = state.selectedClass;
    const set = state.sampleSet; // where the files go, whatever is picked while they upload
    busy([$("#sample-drop")], async () => {
      let clip;
      try {
        clip = readNumber($("#upload-clip")); // the server's limits, checked before sending anything
      } catch (err) {
        $("#upload-result").replaceChildren(h("p", { class: "error-text", "data-testid": "upload-error" }, err.message));
        throw err;
      }
      $("#upload-result").replaceChildren(h("p", { class: "muted" }, h("span", { class: "spinner" }),
        ` Uploading ${files.length} file(s) to ${set === "test" ? "the test set of " : ""}${classLabel(c)}…`));
      try {
        const result = await uploadTo(c, files, { clip_s: clip }, state.projectId, set);
        showUploadResult(result);
      } catch (err) {
        $("#upload-result").replaceChildren(h("p", { class: "error-text", "data-testid": "upload-error" }, err.message));
        throw err;
      }
    });
  };
  dropZone($("#sample-drop"), onFiles);
  filePicker($("#sample-files"), onFiles);
  filePicker($("#sample-folder"), onFiles);
}

function initClassForms() {
  $("#add-class-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("#new-class-name");
    busy($("#add-class-btn"), async () => {
      const info = await api.addClass(state.projectId, input.value.trim());
      input.value = "";
      state.selectedClass = info.name;
      await reloadProject();
      toast(`Class “${info.display_name || info.name}” added.`);
    });
  });
  $("#rename-class-btn").addEventListener("click", () => {
    renaming = { project: state.projectId, className: state.selectedClass };
    $("#rename-class-form").hidden = false;
    $("#rename-class-name").value = state.selectedClass;
    $("#rename-class-name").select();
  });
  $("#rename-class-cancel").addEventListener("click", () => closeRename({ refocus: true }));
  $("#rename-class-form").addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    e.preventDefault();
    closeRename({ refocus: true });
  });
  $("#rename-class-form").addEventListener("submit", (e) => {
    e.preventDefault();
    busy($("#rename-class-save"), () => keepingClassesCurrent(async () => {
      const info = await api.renameClass(state.projectId, state.selectedClass, $("#rename-class-name").value.trim());
      closeRename({ refocus: true });
      state.selectedClass = info.name;
      await reloadProject();
      toast(`Renamed to “${info.display_name || info.name}”.`);
    }));
  });
  $("#delete-class-btn").addEventListener("click", (e) => {
    const c = classInfo();
    if (!c) return;
    // its samples and its test set's clips go together: the dialog and the toast count both alike
    const count = (n, what) => `${n} ${what}${n === 1 ? "" : "s"}`;
    const tests = c.test_samples || 0;
    const its = [c.samples ? count(c.samples, "sample") : "", tests ? count(tests, "test clip") : ""].filter(Boolean).join(" and ");
    const label = `class “${c.display_name || c.name}”`;
    if (its && !confirm(`Delete the ${label} and its ${its}? They are kept in the project's .trash folder.`)) return;
    const button = e.currentTarget;
    const focused = button === document.activeElement;
    busy(button, () => keepingClassesCurrent(async () => {
      const result = await api.deleteClass(state.projectId, c.name);
      classFocus = focused || focusLost(); // its Delete button may go: the focus goes to the class selected then
      await reloadProject();
      const undo = undoIn(state.projectId);
      const gone = result.samples === c.samples + tests ? its : result.samples ? count(result.samples, "sample") : "";
      deletedToast(`${label}${gone ? ` and its ${gone}` : ""}`,
        result.undo, async (undoId) => {
          const back = await undo(undoId);
          const name = back.classes[0] || c.name; // the class it came back as (or joined)
          if ((state.project?.classes || []).some((k) => k.name === name)) selectClass(name);
          return back;
        });
    }));
  });
}

let uploadsTimer = null;

/** While an upload (this page's, or one a reload left going on the server) is still adding files,
 *  say so on its class and show the project again every 2 s, so its samples appear as they land. */
function followUploads(project) {
  const filling = project.uploading || [];
  $("#class-uploading").hidden = !filling.includes(state.selectedClass);
  clearTimeout(uploadsTimer);
  if (filling.length) uploadsTimer = setTimeout(() => pollUploads(project.id), 2000);
}

/** One look at a project an upload is filling, unless the user is busy with the page: typing in a
 *  field, or listening to a sample (a reload would redraw them). Those, a hidden tab (looked at
 *  again, it catches up: app.js) and a failed fetch just wait for the next turn. */
function pollUploads(id) {
  if (state.projectId !== id) return;
  const typing = (document.activeElement && document.activeElement.matches("input, textarea, select"))
    || !$("#rename-class-form").hidden;
  const listening = [...document.querySelectorAll("audio")].some((a) => !a.paused);
  if (document.hidden || typing || listening) {
    uploadsTimer = setTimeout(() => pollUploads(id), 2000);
    return;
  }
  reloadProject().catch(() => { uploadsTimer = setTimeout(() => pollUploads(id), 2000); });
}

export function initSamples() {
  initUploads();
  initClassForms();
  let shown = null; // "class|set|count" of the grid on show
  const key = (c) => c && `${c.name}|${state.sampleSet}|${state.sampleSet === "test" ? c.test_samples : c.samples}`;
  on("project", (project, { switched }) => {
    if (switched) state.sampleSet = "training"; // another project opens on its training samples
    renderClasses(project);
    renderClassHead();
    followUploads(project);
    const c = classInfo();
    // reload the grid when the class, the set or its sample count changed (uploads, moves, recordings)
    if (switched || !c || key(c) !== shown) {
      shown = key(c);
      loadSamples();
    }
  });
  const showAnew = () => {
    renderClasses(state.project);
    renderClassHead();
    shown = key(classInfo());
    loadSamples();
  };
  on("class", showAnew);
  on("class", () => { if (state.project) $("#class-uploading").hidden = !(state.project.uploading || []).includes(state.selectedClass); });
  on("set", showAnew);
  for (const button of document.querySelectorAll(".set-switch button")) {
    button.addEventListener("click", () => selectSet(button.dataset.set));
  }
}
