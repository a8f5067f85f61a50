// Trying a file, shared by the studio's Try tab and the share page: drop or pick a file, send it
// to the model, show the answer (timeline.js) or the server's words when it fails.

import { renderPrediction } from "./timeline.js";
import { busy, dropZone, filePicker, h } from "./ui.js";

/**
 * Classify `file` with predict(file) → the server's answer, shown in `out` (a spinner meanwhile);
 * then after(result, file), if given, adds what the page offers under it (the studio: add it to a class).
 */
export async function predictFile(file, { out, predict, labels, after }) {
  out.replaceChildren(h("p", { class: "muted" }, h("span", { class: "spinner" }), ` Listening to ${file.name}…`));
  let result;
  try {
    result = await predict(file);
    renderPrediction(out, result, file, labels);
  } catch (err) {
    out.replaceChildren(h("p", { class: "error-text" }, err.message));
    throw err;
  }
  if (after) after(result, file);
}

/**
 * Wire a drop zone and a file input to predictFile. model() gives {predict, labels} for the
 * model to use now; it may throw ("train a model first"), which shows as the error toast. after: as
 * predictFile's.
 */
export function filePredictor({ zone, input, out, model, after }) {
  const onFiles = (files) => {
    const file = files[0];
    if (!file) return;
    busy(zone, () => predictFile(file, { out, after, ...model() }));
  };
  dropZone(zone, onFiles);
  filePicker(input, onFiles);
}
