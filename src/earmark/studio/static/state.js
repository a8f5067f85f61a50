// The page's shared state and a tiny event bus between screens.

import { api, apiPath } from "./api.js";
import { displayName, h, showError } from "./ui.js";

export const state = {
  projectId: null,
  project: null, // the Project object from the API
  selectedClass: null, // a class name
  sampleSet: "training", // which samples of the class the Samples screen shows and adds to: "training" or "test"
  selectedModel: null, // a model id
};

const handlers = {};

export function on(event, fn) {
  (handlers[event] ||= []).push(fn);
}

export function emit(event, ...args) {
  for (const fn of handlers[event] || []) {
    try {
      fn(...args);
    } catch (err) {
      console.error(err);
    }
  }
}

/** Reload the current project from the server and tell every screen ("project"). */
let reloads = 0;

export async function reloadProject() {
  const id = state.projectId;
  if (!id) return null;
  const mine = ++reloads;
  const project = await api.project(id);
  // another project opened, or a later reload asked, while this one was fetched: its answer is older
  if (state.projectId !== id || mine !== reloads) return null;
  setProject(project);
  return project;
}

/** Undo for a delete in project `projectId` (see ui.deletedToast): restore, then show it if still
 *  open. Only the restore can fail the Undo: a reload that fails after it is reported, not retried. */
export function undoIn(projectId) {
  return async (undoId) => {
    const result = await api.restore(projectId, undoId);
    if (state.projectId === projectId) await reloadProject().catch(showError);
    return result;
  };
}

/**
 * The Undo of a move in `projectId`: `(moved, fromClass, set)` moves the sample as the move answered
 * it (`moved`: its class and id now) back to `fromClass`, then shows the project again (if still open).
 * The server follows both classes through renames made since the move (its `log_position`), in this tab or
 * another (`?undo=true&since=`),
 * and says what to do when one was deleted. Answers where the sample is now ({class_name, id, ...}),
 * with `class_label` (how the page names that class) and `renamed_from` (`fromClass`, when the sample
 * went back to the class it was renamed to; else null).
 */
export function moveBackIn(projectId) {
  return async (moved, fromClass, set = "training") => {
    const back = await api.moveBack(projectId, moved.class_name, moved.id, fromClass, set, moved.log_position);
    const renamed = back.class_name !== fromClass;
    if (state.projectId === projectId) {
      // the page shows the class it came from under its old name (renamed in another tab): show it as it is now
      if (renamed && state.selectedClass === fromClass) state.selectedClass = back.class_name;
      await reloadProject().catch(showError);
    }
    return { ...back, class_label: classLabel(back.class_name), renamed_from: renamed ? classLabel(fromClass) : null };
  };
}

/** Show `project`; `className`: the class to open it on (the one a reloaded page was in), when it has it. */
export function setProject(project, { className = null } = {}) {
  const switched = state.projectId !== project.id;
  const before = state.project;
  state.project = project;
  state.projectId = project.id;
  const names = project.classes.map((c) => c.name);
  // the class shown was renamed since the page last looked (in another tab): show it under its new name
  const renamed = switched ? null : renamedSince(before, project, state.selectedClass);
  if (switched && names.includes(className)) state.selectedClass = className;
  else if (renamed && !names.includes(state.selectedClass) && names.includes(renamed)) state.selectedClass = renamed;
  else if (switched || !names.includes(state.selectedClass)) {
    const firstOwn = project.classes.find((c) => !c.is_background);
    state.selectedClass = (firstOwn || project.classes[0] || {}).name || null;
  }
  const models = project.models.map((m) => m.id);
  if (switched || !models.includes(state.selectedModel)) state.selectedModel = newestModel(project);
  emit("project", project, { switched });
}

/** What class `name` of project view `before` is called in the later view `after`: followed through the
 *  renames `after` logs since the last one `before` had seen (`recent_renames`, oldest first); `name`
 *  when none of them renamed it. Only renames made since count: a class "bass" renamed "guitar" long
 *  ago, and a new "bass" deleted now, is not shown as "guitar". */
export function renamedSince(before, after, name) {
  const seen = (before && before.recent_renames) || [];
  const now = after.recent_renames || [];
  const same = (a, b) => a.from === b.from && a.to === b.to && a.at === b.at;
  const last = seen[seen.length - 1];
  // where the renames this page had not seen begin: after the last one it had (all, when it saw none,
  // or when more than the view carries were made since)
  const at = last ? now.findLastIndex((r) => same(r, last)) + 1 : 0;
  let current = name;
  for (const r of now.slice(at)) if (r.from === current) current = r.to;
  return current;
}

export function newestModel(project) {
  const models = [...(project.models || [])].sort((a, b) => String(a.created).localeCompare(String(b.created)));
  return models.length ? models[models.length - 1].id : null;
}

export function selectModel(id) {
  if (state.selectedModel === id) return;
  state.selectedModel = id;
  emit("model", id);
}

export function selectClass(name) {
  state.selectedClass = name;
  emit("class", name);
}

/** Show, record and upload into the class's training samples or its test set ("training" | "test"). */
export function selectSet(set) {
  if (state.sampleSet === set) return;
  state.sampleSet = set;
  emit("set", set);
}

/**
 * Keep a <select> listing the project's models in step with the shared model choice.
 * Each screen has its own select; changing one changes them all.
 */
/**
 * Fill `select` with the project's classes, after a first option `placeholder` (value "") when one is
 * given, keeping the class chosen before where it is still there (else the placeholder, or the first class).
 */
export function fillClassSelect(select, placeholder = null) {
  const before = select.value;
  const classes = (state.project && state.project.classes) || [];
  select.replaceChildren(...(placeholder === null ? [] : [h("option", { value: "" }, placeholder)]),
    ...classes.map((c) => h("option", { value: c.name }, c.display_name || c.name)));
  if (classes.some((c) => c.name === before)) select.value = before;
}

export function bindModelSelect(select) {
  const fill = () => {
    const models = (state.project && state.project.models) || [];
    const unreadable = (state.project && state.project.unreadable_models) || [];
    select.replaceChildren(
      ...(models.length ? [] : [h("option", { value: "" }, "no model yet: train one")]),
      ...models.map((m) => h("option", { value: m.id },
        `${m.id}${m.val_accuracy !== null && m.val_accuracy !== undefined ? ` (${(100 * m.val_accuracy).toFixed(0)} %)` : ""}`)),
      // a file in models/ that cannot be read is shown, not hidden, with the reason on hover
      ...unreadable.map((u) => h("option", { value: "", disabled: true, title: u.reason },
        `${u.file}: cannot be read`)),
    );
    select.value = state.selectedModel || "";
    select.disabled = !models.length;
  };
  on("project", fill);
  on("model", () => { select.value = state.selectedModel || ""; });
  select.addEventListener("change", () => selectModel(select.value));
  fill();
}

export function modelInfo(id = state.selectedModel) {
  const m = ((state.project && state.project.models) || []).find((x) => x.id === id);
  if (!m) return null;
  // the server's share_url and download_url, as given; built here only when the list leaves them out
  return {
    ...m,
    share_url: m.share_url || (m.token ? `/try/${encodeURIComponent(m.token)}` : null),
    download_url: m.download_url || `${apiPath("projects", state.projectId, "models", m.id)}/download`,
  };
}

export function classInfo(name = state.selectedClass) {
  return ((state.project && state.project.classes) || []).find((c) => c.name === name) || null;
}

/** How the page names a class of the open project: its display name ("Background Noise"). */
export function classLabel(name) {
  const c = classInfo(name);
  return (c && c.display_name) || displayName(name);
}
