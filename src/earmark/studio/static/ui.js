// Small DOM helpers shared by every screen: element builder, toasts, busy buttons, colours, bars.

/** h("button", {class: "x", onclick}, "text", child, ...) */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "style" && typeof value === "object") Object.assign(node.style, value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** How long a toast stays (ms) unless closed first: errors longer, so they can be read. */
export const TOAST_MS = { error: 10000, info: 4000, undo: 12000 };

/** A toast in the #toasts area, with a close button; it goes by itself after TOAST_MS, but not while
 *  it has the keyboard focus or the pointer is over it (it goes TOAST_MS.info after they leave).
 *  `action` ({label, run}) adds a button (e.g. Undo) that runs once and closes the toast. A toast that
 *  goes with the focus in it hands the focus back to where it came from (else to the next toast). */
export function toast(message, kind = "info", action = null) {
  const area = $("#toasts");
  const close = h("button", { class: "toast-close", "aria-label": "Dismiss message", type: "button" }, "×");
  const button = action && h("button", { class: "toast-action", type: "button", "data-testid": "toast-action" },
    action.label);
  const node = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status",
    "data-testid": `toast-${kind}` }, h("span", { class: "toast-text" }, message), button, close);
  let cameFrom = null; // the element the focus was on before it came into this toast
  let timer = null;
  const remove = () => {
    clearTimeout(timer);
    const hadFocus = node.contains(document.activeElement);
    const next = hadFocus && (node.nextElementSibling || node.previousElementSibling);
    node.remove();
    if (!hadFocus) return;
    const back = cameFrom && cameFrom.isConnected && !cameFrom.disabled ? cameFrom
      : next ? next.querySelector("button:not([disabled])") : null;
    if (back) back.focus();
  };
  const held = () => node.matches(":hover") || node.contains(document.activeElement);
  const expire = (ms) => {
    clearTimeout(timer);
    timer = setTimeout(() => (held() ? expire(TOAST_MS.info) : remove()), ms);
  };
  node.addEventListener("focusin", (e) => {
    if (e.relatedTarget && !node.contains(e.relatedTarget)) cameFrom = e.relatedTarget;
  });
  node.addEventListener("focusout", () => setTimeout(() => { if (!held() && node.isConnected) expire(TOAST_MS.info); }));
  node.addEventListener("mouseleave", () => { if (!held()) expire(TOAST_MS.info); });
  node.addEventListener("keydown", (e) => { if (e.key === "Escape") remove(); });
  close.addEventListener("click", remove);
  if (button) {
    button.addEventListener("click", async () => {
      // runs once: a second click would undo nothing and say so (aria-disabled, not disabled: the focus stays)
      if (button.getAttribute("aria-disabled") === "true") return;
      button.setAttribute("aria-disabled", "true");
      try {
        await action.run();
        remove();
      } catch (err) {
        button.removeAttribute("aria-disabled"); // it did not happen (the server said why): it may be tried again
        showError(err);
      }
    });
  }
  area.append(node);
  // at most 5: the oldest go first, but never one the user is on
  for (const old of [...area.children]) {
    if (area.children.length <= 5) break;
    if (old !== node && !old.contains(document.activeElement) && !old.matches(":hover")) old.remove();
  }
  expire(action ? TOAST_MS.undo : TOAST_MS[kind] ?? TOAST_MS.info);
  return node;
}

/** The toast after deleting `what` ("bass_001.wav", "class “bass” and its 12 samples"), with
 *  Undo: `restore(undoId)` (the server's `undo` id) puts it back and answers as the restore route does
 *  (restoredMessage says what it did); it throws only if that failed. */
export function deletedToast(what, undoId, restore) {
  return toast(`Deleted ${what} (kept in the project's .trash folder).`, "info", undoId && {
    label: "Undo",
    run: async () => {
      const back = await restore(undoId);
      toast(restoredMessage(what, back));
    },
  });
}

/** "Restored `what`." after a delete's Undo, from the restore's answer `back` ({classes, notes}): the class(es)
 *  it came back to, when not the one `what` names (“drums” back as drums-2, its name taken since) or when
 *  the server has notes, then those notes (what did not go back as it was), one sentence each. */
export function restoredMessage(what, back) {
  const classes = ((back && back.classes) || []).map(displayName);
  const notes = (back && back.notes) || [];
  // the classes `what` names: “X” after "class " only (not the file's name in "“bass_015.ogg” of class “bass”")
  const named = [...what.matchAll(/\bclass “([^”]*)”/g)].map((m) => m[1]);
  const elsewhere = classes.length && (notes.length || named.some((n) => !classes.includes(n)));
  const where = !elsewhere ? ""
    : `, now in class${classes.length === 1 ? "" : "es"} ${classes.map((c) => `“${c}”`).join(" and ")}`;
  const sentences = notes.map((n) => `${n.charAt(0).toUpperCase()}${n.slice(1)}${/[.!?]$/.test(n) ? "" : "."}`);
  return [`Restored ${what}${where}.`, ...sentences].join(" ");
}

/** "Moved X to Y." with an Undo: `undo()` moves it back and returns where it is then ({class_name, id},
 *  and from state.moveBackIn `class_label` and `renamed_from`: the class's old name, when it was renamed since). */
export function movedToast(what, where, undo) {
  return toast(`Moved ${what} to ${where}.`, "info", {
    label: "Undo",
    run: async () => {
      const back = await undo();
      const to = back.renamed_from
        ? ` to ${back.class_label || back.class_name} (its class “${back.renamed_from}” was renamed meanwhile)` : "";
      const as = back.id === what ? "" : `, as ${back.id} (its name was taken meanwhile)`;
      toast(`Moved ${what} back${to}${as}.`);
    },
  });
}

/** Remove every toast (a project switch: the old project's messages no longer apply). */
export function clearToasts() {
  $("#toasts").replaceChildren();
}

/** Fill a <ul class="note"> with one item per string (an empty list hides it). */
export function noteList(list, texts) {
  list.replaceChildren(...(texts || []).map((text) => h("li", {}, text)));
}

export function showError(err) {
  console.error(err);
  toast(err && err.message ? err.message : String(err), "error");
}

/** Whether the keyboard focus is nowhere (on the page's body: the element that had it went or was disabled). */
export function focusLost() {
  const active = document.activeElement;
  return !active || active === document.body || !active.isConnected;
}

/**
 * Run an async action with `button` disabled and a spinner; errors become a toast.
 * Returns the action's result, or undefined when it failed.
 */
export async function busy(button, action) {
  const buttons = Array.isArray(button) ? button : [button];
  // a disabled button loses the keyboard focus: it gets it back after, unless something else took it
  const focused = buttons.find((b) => b && b === document.activeElement);
  for (const b of buttons) if (b) { b.disabled = true; b.classList.add("is-busy"); b.setAttribute("aria-busy", "true"); }
  try {
    return await action();
  } catch (err) {
    showError(err);
    return undefined;
  } finally {
    for (const b of buttons) if (b) { b.disabled = false; b.classList.remove("is-busy"); b.removeAttribute("aria-busy"); }
    if (focused && focused.isConnected && focusLost()) focused.focus();
  }
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#bcbd22", "#e377c2", "#8c564b"];

/** A stable colour per label: background grey, the others from a palette in label order. */
export function labelColour(label, labels) {
  if (/^(background|_background_noise_)$/i.test(label)) return "#8c8c8c";
  const others = labels.filter((l) => !/^(background|_background_noise_)$/i.test(l));
  const i = Math.max(0, others.indexOf(label));
  return PALETTE[i % PALETTE.length];
}

/** A message made to sit mid-sentence: its own closing ".", "?" or "!" dropped (no "?." or ".."). */
export const clause = (message) => String(message).replace(/[.?!\s]+$/, "");

/** A long file name cut in the middle ("take-20261…-003.wav"): its start and its distinguishing end stay. */
export function shortName(name, max = 26) {
  const text = String(name);
  if (text.length <= max) return text;
  const tail = Math.ceil((max - 1) * 0.55);
  return `${text.slice(0, max - 1 - tail)}…${text.slice(text.length - tail)}`;
}

export function displayName(label) {
  return /^(background|_background_noise_)$/i.test(label) ? "Background Noise" : label;
}

export const pct = (x) => (x === null || x === undefined || Number.isNaN(x) ? "–" : `${(100 * x).toFixed(1)} %`);
export const secs = (x) => (x < 60 ? `${x.toFixed(1)} s` : `${Math.floor(x / 60)} min ${Math.round(x % 60)} s`);

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Probability bars: a container with one row per label. Call the returned update(probabilities)
 * with {label: p}; the winner's row gets the class "winner".
 */
export function probabilityBars(container, labels) {
  container.replaceChildren();
  const rows = {};
  for (const label of labels) {
    const fill = h("div", { class: "bar-fill", style: { background: labelColour(label, labels), width: "0%" } });
    const value = h("span", { class: "bar-value" }, "–");
    const row = h("div", { class: "bar-row", "data-label": label },
      h("span", { class: "bar-label" }, displayName(label)), h("div", { class: "bar-track" }, fill), value);
    rows[label] = { row, fill, value };
    container.append(row);
  }
  return function update(probabilities) {
    let best = null;
    for (const label of labels) {
      const p = Number(probabilities[label] ?? 0);
      rows[label].fill.style.width = `${(100 * p).toFixed(1)}%`;
      rows[label].value.textContent = `${(100 * p).toFixed(0)} %`;
      if (best === null || p > Number(probabilities[best] ?? 0)) best = label;
    }
    for (const label of labels) rows[label].row.classList.toggle("winner", label === best);
    return best;
  };
}

/** Make `zone` accept dropped files and folders; calls onFiles([File]) with folders walked.
 *  From the keyboard, Enter or Space on the focused zone opens its first file button's picker. */
export function dropZone(zone, onFiles) {
  zone.addEventListener("keydown", (e) => {
    if (e.target !== zone || (e.key !== "Enter" && e.key !== " ")) return;
    e.preventDefault();
    if (zone.getAttribute("aria-disabled") === "true") return;
    const opener = zone.querySelector("[data-opens]");
    if (opener && !opener.disabled) opener.click();
  });
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", async (e) => {
    e.preventDefault();
    zone.classList.remove("dragging");
    try {
      onFiles(await droppedFiles(e.dataTransfer));
    } catch (err) {
      showError(err);
    }
  });
}

/** Files from a drop, walking dropped folders with webkitGetAsEntry (relativePath kept). */
export async function droppedFiles(dataTransfer) {
  const entries = [...(dataTransfer.items || [])]
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
    .filter(Boolean);
  if (!entries.length) return [...(dataTransfer.files || [])];
  const out = [];
  for (const entry of entries) await walkEntry(entry, "", out);
  return out;
}

async function walkEntry(entry, prefix, out) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    file.relativePath = prefix + file.name;
    out.push(file);
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await walkEntry(child, `${prefix}${entry.name}/`, out);
    }
  }
}

/** Every <button data-opens="ID"> opens the file picker of the hidden <input type=file id=ID>:
 *  a real button, so the keyboard reaches it (a <label> for a hidden input is skipped by Tab). */
export function wireFileButtons(root = document) {
  root.addEventListener("click", (e) => {
    const button = e.target.closest && e.target.closest("[data-opens]");
    if (!button || button.disabled) return;
    const input = document.getElementById(button.dataset.opens);
    if (input && !input.disabled) input.click();
  });
}

/** Wire a <button data-opens> + hidden <input type=file> pair: calls onFiles, then clears the input. */
export function filePicker(input, onFiles) {
  input.addEventListener("change", () => {
    const files = [...input.files];
    for (const f of files) if (f.webkitRelativePath) f.relativePath = f.webkitRelativePath;
    input.value = "";
    if (files.length) onFiles(files);
  });
}

/** "take-20261125-180102" from a Date (local time). */
export function takeId(prefix = "take", date = new Date()) {
  const p = (n) => String(n).padStart(2, "0");
  return `${prefix}-${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-` +
    `${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** A report's confusion matrix as rows (true) of columns (predicted), in report.labels order.
 *  The server sends {"labels", "matrix"}; a bare list of rows is accepted too. */
export function confusionRows(report) {
  const c = report.confusion;
  if (Array.isArray(c)) return c;
  if (!c || !Array.isArray(c.matrix)) return report.labels.map(() => report.labels.map(() => 0));
  if (!Array.isArray(c.labels)) return c.matrix;
  // reorder to report.labels in case the two lists differ in order
  return report.labels.map((t) => report.labels.map((p) => {
    const i = c.labels.indexOf(t);
    const j = c.labels.indexOf(p);
    return i < 0 || j < 0 ? 0 : c.matrix[i][j];
  }));
}

/** What a form field is called in messages: its data-name, else its <label>'s words, else its aria-label. */
export function fieldName(input) {
  if (input.dataset.name) return input.dataset.name;
  const label = input.id ? document.querySelector(`label[for="${input.id}"]`) : null;
  const words = label ? label.textContent.replace(/\(s\)/, "").trim() : "";
  return words || input.getAttribute("aria-label") || input.id || "this field";
}

/**
 * The number in an <input type=number>, checked against the input's own min / max (the server's
 * limits live there, in the HTML) before anything is sent. Whole numbers unless `step` says
 * otherwise; `data-min-exclusive` makes min itself not allowed (the learning rate: more than 0).
 * Empty gives `fallback`. A wrong value marks the input (aria-invalid) and throws an Error in
 * plain words, for the error toast.
 */
export function readNumber(input, fallback = undefined) {
  const raw = input.value.trim();
  const name = fieldName(input);
  const unit = input.dataset.unit ? ` ${input.dataset.unit}` : "";
  const fail = (message) => {
    input.setAttribute("aria-invalid", "true");
    input.addEventListener("input", () => input.removeAttribute("aria-invalid"), { once: true });
    throw new Error(message);
  };
  input.removeAttribute("aria-invalid");
  if (input.validity && input.validity.badInput) fail(`“${name}” is not a number.`);
  if (raw === "") {
    if (input.required) fail(`“${name}” needs a number.`);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) fail(`“${name}” is not a number (you gave ${raw}).`);
  const min = input.min === "" ? null : Number(input.min);
  const max = input.max === "" ? null : Number(input.max);
  const exclusive = "minExclusive" in input.dataset;
  const range = min !== null && max !== null
    ? (exclusive ? `more than ${min} and at most ${max}${unit}` : `between ${min} and ${max}${unit}`)
    : min !== null ? `${exclusive ? "more than" : "at least"} ${min}${unit}` : `at most ${max}${unit}`;
  if ((min !== null && (exclusive ? value <= min : value < min)) || (max !== null && value > max)) {
    fail(`“${name}” must be ${range} (you gave ${raw}).`);
  }
  const whole = !input.step || input.step === "1";
  if (whole && !Number.isInteger(value)) fail(`“${name}” must be a whole number (you gave ${raw}).`);
  return value;
}

/** readNumber for several inputs: {key: value} without the empty ones; every wrong field in one message. */
export function readNumbers(fields) {
  const out = {};
  const problems = [];
  for (const [key, input] of Object.entries(fields)) {
    try {
      const value = readNumber(input);
      if (value !== undefined) out[key] = value;
    } catch (err) {
      problems.push(err.message);
    }
  }
  if (problems.length) throw new Error(problems.join(" "));
  return out;
}
