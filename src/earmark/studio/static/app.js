// earmark studio: boots the page, the project bar and the tabs; each screen lives in its own module.

import { api } from "./api.js";
import { initDeletedProjects } from "./deletedprojects.js";
import { initEvaluate } from "./evaluate.js";
import { initKeep } from "./keep.js";
import { initLive } from "./live.js";
import { initRecorder } from "./recorder.js";
import { fileNotes, initSamples } from "./samples.js";
import { emit, on, reloadProject, setProject, state } from "./state.js";
import { initTraining } from "./training.js";
import { initTrashBin } from "./trashbin.js";
import { initTryFile } from "./tryfile.js";
import { $, $$, busy, clearToasts, displayName, focusLost, h, showError, toast, wireFileButtons } from "./ui.js";

function showTab(name) {
  for (const tab of $$(".tabs [role=tab]")) {
    const selected = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.classList.toggle("active", selected);
  }
  for (const panel of $$("main > .panel")) panel.hidden = panel.id !== `panel-${name}`;
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  emit("tab", name);
}

let fillToken = 0;

/** The project dropdown, with each project's sample count, from the server. */
async function fillProjects(current) {
  const mine = ++fillToken;
  const { projects } = await api.projects();
  if (mine !== fillToken) return projects; // a later refresh is on its way
  state.projects = projects;
  const select = $("#project-select");
  select.replaceChildren(...projects.map((p) =>
    h("option", { value: p.id }, `${p.name}${p.samples !== undefined ? ` · ${p.samples} samples` : ""}`)));
  if (current) select.value = current;
  return projects;
}

async function openProject(id, { className = null } = {}) {
  const project = await api.project(id);
  setProject(project, { className });
  await fillProjects(project.id);
  return project;
}

/** What an import (`project`, as POST /api/projects/import answers) brought in: a toast when every file
 *  landed; else, under the top bar until dismissed or another project is opened, the files skipped and
 *  those kept with warnings, listed as an upload lists them. `null` hides it. */
function showImportResult(project) {
  const box = $("#import-result");
  if (!project) {
    box.hidden = true;
    $("#import-result-body").replaceChildren();
    delete box.dataset.project;
    return;
  }
  const skipped = project.skipped || [];
  const warned = project.warnings || [];
  const samples = project.classes.reduce((n, c) => n + c.samples + c.test_samples, 0);
  const summary = `Project “${project.name}” imported: ${samples} sample${samples === 1 ? "" : "s"}`
    + `${skipped.length ? `, skipped ${skipped.length} file${skipped.length === 1 ? "" : "s"}` : ""}`
    + `${warned.length ? `, ${warned.length} kept with a warning` : ""}.`;
  if (!skipped.length && !warned.length) {
    toast(samples ? summary : `${summary.slice(0, -1)} yet: record some or drop audio files onto its classes.`);
    return;
  }
  const none = samples ? null : h("p", { class: "error-text", "data-testid": "import-empty" },
    "None of its files could be used (why, below). Fix them and import the zip again, or drop audio files onto "
    + "the classes; a zip to import holds a project exported from earmark, or one folder of audio per class.");
  $("#import-result-body").replaceChildren(
    ...[h("p", { class: samples ? "ok" : "muted", "data-testid": "import-count" }, summary), none].filter(Boolean),
    ...fileNotes(project));
  box.dataset.project = project.id;
  box.hidden = false;
}

/** Where a project's delete leaves its Undo for the page that starts after it (sessionStorage). */
const DELETED_KEY = "earmark.deletedProject";

/** Delete the open project (to the projects folder's .trash), then start the page again: on the
 *  most recently changed project left, or on none. That page offers the Undo. */
async function deleteProject(button) {
  const p = state.project;
  if (!p) return;
  const count = (n, what) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const samples = p.classes.reduce((n, c) => n + c.samples, 0);
  const what = [count(samples, "sample"), p.test_samples ? count(p.test_samples, "test sample") : "",
    p.models.length ? count(p.models.length, "model") : ""].filter(Boolean).join(", ");
  if (!confirm(`Delete the project “${p.name}” with its ${what}? It is kept in the .trash folder of the projects folder.`)) return;
  await busy(button, async () => {
    const result = await api.deleteProject(p.id);
    try {
      sessionStorage.setItem(DELETED_KEY, JSON.stringify({ undo: result.undo, name: p.name }));
    } catch {
      // no session storage (turned off, full): the page starts again without the Undo
    }
    const address = new URL(location.href);
    address.searchParams.delete("project");
    address.searchParams.delete("class");
    location.replace(address);
  });
}

/** Show `project`, just restored from the trash (the New project form, where the list of deleted projects is, closes). */
async function showRestored(project) {
  setProject(project);
  await fillProjects(project.id);
  $("#new-project-form").hidden = true;
  $("#new-project-btn").setAttribute("aria-expanded", "false");
}

/** After a project's delete: say so, with an Undo that brings it back and opens it. */
function offerUndoOfDelete() {
  let deleted;
  try {
    const saved = sessionStorage.getItem(DELETED_KEY);
    if (!saved) return;
    sessionStorage.removeItem(DELETED_KEY); // once: a reload does not offer it again
    deleted = JSON.parse(saved);
  } catch {
    return; // no session storage, or not what this page wrote there
  }
  toast(`Deleted the project “${deleted.name}” (kept in the .trash folder of the projects folder).`, "info", deleted.undo && {
    label: "Undo",
    run: async () => {
      const project = await api.restoreProject(deleted.undo);
      await showRestored(project);
      toast(`Restored the project “${project.name}”.`);
    },
  });
}

/** Escape in `form` (not one a <select> takes for itself) closes it: close(). */
function closeOnEscape(form, close) {
  form.addEventListener("keydown", (e) => {
    if (e.key !== "Escape" || form.hidden) return;
    e.preventDefault();
    close();
  });
}

function initProjectBar() {
  const form = $("#new-project-form");
  const toggleForm = (open) => {
    const hadFocus = form.contains(document.activeElement) || focusLost();
    form.hidden = !open;
    $("#new-project-btn").setAttribute("aria-expanded", String(open));
    if (open) $("#new-project-name").focus();
    else if (hadFocus) $("#new-project-btn").focus(); // back to the button that opened it
  };
  $("#new-project-btn").addEventListener("click", () => toggleForm(form.hidden));
  $("#cancel-new-project-btn").addEventListener("click", () => toggleForm(false));
  closeOnEscape(form, () => toggleForm(false));
  initDeletedProjects(showRestored);

  const create = (demo) => busy([$("#create-project-btn"), $("#create-demo-btn")], async () => {
    const name = $("#new-project-name").value.trim() || (demo ? "demo" : "");
    if (!name) throw new Error("give the new project a name");
    const project = await api.createProject(name, demo);
    setProject(project);
    await fillProjects(project.id);
    toggleForm(false);
    $("#new-project-name").value = "";
    toast(`Project “${project.name}” created${demo ? " with the demo sounds" : ""}.`);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    create(false);
  });
  $("#create-demo-btn").addEventListener("click", () => create(true));

  $("#project-select").addEventListener("change", (e) => {
    busy(e.target, () => openProject(e.target.value));
  });

  $("#import-project-input").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (!file) return;
    showImportResult(null);
    await busy($("#import-project-btn"), async () => {
      const project = await api.importProject(file);
      setProject(project);
      await fillProjects(project.id);
      showImportResult(project);
    });
  });
  $("#import-result-close").addEventListener("click", () => showImportResult(null));
  on("project", (project, { switched }) => {
    if (switched && project.id !== $("#import-result").dataset.project) showImportResult(null);
  });

  const renameForm = $("#rename-project-form");
  const toggleRename = (open) => {
    const hadFocus = renameForm.contains(document.activeElement) || focusLost();
    renameForm.hidden = !open;
    $("#rename-project-btn").setAttribute("aria-expanded", String(open));
    if (open) {
      $("#rename-project-name").value = state.project ? state.project.name : "";
      $("#rename-project-name").select();
    } else if (hadFocus) {
      $("#rename-project-btn").focus();
    }
  };
  $("#rename-project-btn").addEventListener("click", () => toggleRename(renameForm.hidden));
  $("#rename-project-cancel").addEventListener("click", () => toggleRename(false));
  closeOnEscape(renameForm, () => toggleRename(false));
  renameForm.addEventListener("submit", (e) => {
    e.preventDefault();
    busy($("#rename-project-save"), async () => {
      const project = await api.renameProject(state.projectId, $("#rename-project-name").value.trim());
      setProject(project);
      toggleRename(false);
      toast(`Renamed the project to “${project.name}”.`);
    });
  });

  $("#delete-project-btn").addEventListener("click", (e) => deleteProject(e.currentTarget));

  on("project", (project, { switched }) => {
    if (switched) {
      clearToasts(); // the other project's messages no longer apply
      $("#rename-project-form").hidden = true;
    }
    $("#delete-project-btn").disabled = $("#rename-project-btn").disabled = false;
    // the address names the open project, so a reload or a bookmark comes back to it
    const sameProject = new URL(location.href).searchParams.get("project") === project.id;
    rememberPlace();
    // a reload (samples recorded, uploaded, moved, deleted; a model trained): fresh counts
    if (sameProject) fillProjects(project.id).catch(showError);
    const url = api.exportUrl(project.id);
    for (const a of [$("#export-project-btn"), $("#export-project-btn-2")]) {
      a.href = url;
      a.setAttribute("download", `${project.id}.zip`);
    }
    $("#project-path").textContent = project.path || "";
    $("#project-path").title = project.path || "";
    document.title = `${project.name} · earmark studio`;
    document.body.dataset.project = project.id;
    if ($("#project-select").value !== project.id && [...$("#project-select").options].some((o) => o.value === project.id)) {
      $("#project-select").value = project.id;
    }
  });
}

/**
 * A tab left open behind another shows what changed meanwhile (a class deleted in another tab, a
 * training run started from one) when it is looked at again: the project is fetched anew on
 * coming back to the tab or the window, at most every few seconds.
 */
function refreshWhenLookedAt() {
  let last = Date.now();
  const refresh = () => {
    if (document.visibilityState !== "visible" || !state.projectId || Date.now() - last < 2000) return;
    last = Date.now();
    reloadProject().catch(showError); // a project deleted meanwhile says so
  };
  document.addEventListener("visibilitychange", refresh);
  window.addEventListener("focus", refresh);
}

/** Keep the open project and class in the address (?project=…&class=…): a reload comes back to them. */
function rememberPlace() {
  const address = new URL(location.href);
  if (state.projectId) address.searchParams.set("project", state.projectId);
  if (state.selectedClass) address.searchParams.set("class", state.selectedClass);
  else address.searchParams.delete("class");
  if (address.href !== location.href) history.replaceState(null, "", address);
}

async function boot() {
  wireFileButtons();
  for (const tab of $$(".tabs [role=tab]")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  initProjectBar();
  initSamples();
  initTrashBin();
  initRecorder();
  initTraining();
  initLive();
  initTryFile();
  initEvaluate();
  initKeep();
  on("class", rememberPlace);
  refreshWhenLookedAt();
  const wanted = location.hash.slice(1);
  showTab(["samples", "train", "try", "evaluate", "keep"].includes(wanted) ? wanted : "samples");
  try {
    const status = await api.status();
    const { projects, current } = await api.projects();
    const params = new URLSearchParams(location.search);
    const asked = params.get("project");
    const known = (id) => projects.some((p) => p.id === id);
    const id = (known(asked) && asked) || current || status.current || (projects[0] && projects[0].id);
    if (id) {
      const askedClass = id === asked ? params.get("class") : null;
      await openProject(id, { className: askedClass }); // where a reload was
      if (asked && !known(asked)) {
        toast(`There is no project '${asked}': opened “${state.project.name}” instead.`, "error");
      } else if (askedClass && state.selectedClass !== askedClass) {
        toast(`There is no class '${askedClass}' in “${state.project.name}” any more: opened “${displayName(state.selectedClass)}” instead.`, "error");
      }
    } else {
      await fillProjects(null);
      $("#new-project-form").hidden = false;
      toast("No project yet: create one, or a demo project to start from.");
    }
  } catch (err) {
    showError(err);
  }
  offerUndoOfDelete();
  document.body.dataset.ready = "true";
  state.booted = true;
}

boot();
