// "Recently deleted": what the project's deletes put in its .trash folder, each with Restore (the Undo a
// delete's message offers for a few seconds, at any time later) and Delete for good.

import { api } from "./api.js";
import { on, state, undoIn } from "./state.js";
import { $, busy, displayName, focusLost, h, restoredMessage, toast } from "./ui.js";

let loads = 0;
let shown = []; // the ids listed: "Empty the trash" removes only these, never a delete made since
/** The place in the list of an entry restored or deleted for good from the keyboard: when the list is drawn
 *  again, the focus goes to the entry there now (the next one), else to the box's summary. */
let focusAt = null;

function count(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** What one delete took, in words (as the delete's own message named it, for restoredMessage):
 *  "“bass_003.wav” of class “bass”", "class “drums” and its 12 samples (3 in the test set)", "model “m2”". */
export function deletedWhat(entry) {
  const parts = entry.classes.map((c) => {
    if (entry.sample) return `“${entry.sample}” of class “${displayName(c.name)}”`;
    if (!c.samples && !c.test_samples) return `class “${displayName(c.name)}” (empty)`;
    const test = c.test_samples ? ` (${c.test_samples} in the test set)` : "";
    return `class “${displayName(c.name)}” and its ${count(c.samples + c.test_samples, "sample")}${test}`;
  });
  for (const m of entry.models) parts.push(`model “${m}”`);
  return parts.join(", ") || "an empty delete";
}

function when(iso) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return "";
  return new Date().toDateString() === date.toDateString()
    ? `today ${date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`
    : date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

function entryRow(projectId, entry) {
  const what = deletedWhat(entry);
  const restore = h("button", { type: "button", "data-testid": "trash-restore" }, "Restore");
  const forGood = h("button", { type: "button", class: "danger", "data-testid": "trash-remove" }, "Delete for good");
  const keep = () => {
    if (restore === document.activeElement || forGood === document.activeElement) {
      focusAt = [...$("#trash-list").children].findIndex((li) => li.contains(document.activeElement));
    }
  };
  restore.addEventListener("click", () => keep() || busy([restore, forGood], async () => {
    const back = await undoIn(projectId)(entry.id); // reloads the project: the list follows
    toast(restoredMessage(what, back));
  }));
  forGood.addEventListener("click", () => keep() || busy([restore, forGood], async () => {
    if (!confirm(`Delete ${what} for good? It cannot be restored after this.`)) {
      focusAt = null;
      return;
    }
    await api.emptyTrash(projectId, [entry.id]);
    toast(`Deleted ${what} for good.`);
    await load();
  }));
  return h("li", { class: "trash-entry", "data-testid": "trash-entry", "data-id": entry.id },
    h("span", { class: "trash-what" }, what), h("span", { class: "muted trash-when" }, when(entry.deleted_at)),
    h("span", { class: "trash-actions" }, restore, forGood));
}

/** Fill the list from the server: while the box is open only (it lists folders on disk). */
async function load() {
  const box = $("#trash-box");
  if (!box.open || !state.projectId) return;
  const projectId = state.projectId;
  const mine = ++loads;
  const { deleted } = await api.deleted(projectId);
  if (mine !== loads || state.projectId !== projectId) return; // a later load, or another project
  shown = deleted.map((entry) => entry.id);
  $("#trash-count").textContent = deleted.length ? `(${deleted.length})` : "";
  $("#empty-trash-btn").hidden = !deleted.length;
  $("#trash-list").replaceChildren(...(deleted.length ? deleted.map((entry) => entryRow(projectId, entry))
    : [h("li", { class: "muted" }, "Nothing deleted. A delete waits here, in the project's .trash folder, until you delete it for good.")]));
  if (focusAt !== null && focusLost()) {
    const rows = $("#trash-list").querySelectorAll("[data-testid=trash-entry]");
    const row = rows[Math.min(focusAt, rows.length - 1)];
    (row ? row.querySelector("[data-testid=trash-restore]") : $("#trash-box summary")).focus();
  }
  focusAt = null;
}

export function initTrashBin() {
  const box = $("#trash-box");
  box.addEventListener("toggle", () => busy([], load));
  on("project", (project, { switched }) => {
    if (switched) {
      shown = [];
      $("#trash-count").textContent = "";
    }
    busy([], load);
  });
  const empty = $("#empty-trash-btn");
  empty.addEventListener("click", () => busy(empty, async () => {
    const ids = shown;
    if (!ids.length || !confirm(`Delete the ${count(ids.length, "item")} listed here for good? `
      + "They cannot be restored after this.")) return;
    const { removed } = await api.emptyTrash(state.projectId, ids);
    toast(`Emptied the trash: ${count(removed.length, "delete")} gone for good.`);
    await load();
  }));
}
