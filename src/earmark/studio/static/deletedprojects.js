// "Restore a deleted project" in the New project form: the projects deleted into the projects folder's
// .trash, each with Restore (the delete's Undo, at any time later) and Delete for good.

import { api } from "./api.js";
import { $, busy, h, toast } from "./ui.js";

let loads = 0;

function when(iso) {
  const date = new Date(iso);
  return !iso || Number.isNaN(date.getTime()) ? "" : date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

/** Fill the list (while the box is open only). `restored(project)`: show the project brought back. */
async function load(restored) {
  const box = $("#deleted-projects");
  if (!box.open) return;
  const mine = ++loads;
  const { deleted } = await api.deletedProjects();
  if (mine !== loads) return;
  $("#deleted-projects-count").textContent = deleted.length ? `(${deleted.length})` : "";
  $("#deleted-projects-list").replaceChildren(...(deleted.length ? deleted.map((entry) => {
    const restore = h("button", { type: "button", "data-testid": "project-restore" }, "Restore");
    const forGood = h("button", { type: "button", class: "danger", "data-testid": "project-remove" }, "Delete for good");
    restore.addEventListener("click", () => busy([restore, forGood], async () => {
      const project = await api.restoreProject(entry.id);
      await restored(project);
      toast(`Restored the project “${project.name}”.`);
    }));
    forGood.addEventListener("click", () => busy([restore, forGood], async () => {
      if (!confirm(`Delete the project “${entry.name}” for good? It cannot be restored after this.`)) return;
      await api.emptyProjectsTrash([entry.id]);
      toast(`Deleted the project “${entry.name}” for good.`);
      await load(restored);
    }));
    return h("li", { class: "trash-entry", "data-testid": "deleted-project", "data-id": entry.id },
      h("span", { class: "trash-what" }, `“${entry.name}”`), h("span", { class: "muted trash-when" }, when(entry.deleted_at)),
      h("span", { class: "trash-actions" }, restore, forGood));
  }) : [h("li", { class: "muted" }, "No deleted projects.")]));
}

export function initDeletedProjects(restored) {
  $("#deleted-projects").addEventListener("toggle", () => busy([], () => load(restored)));
}
