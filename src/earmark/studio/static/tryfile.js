// The studio's "Try a file" card: the selected model on a dropped or picked file (predict.js), and,
// under its answer, the file or the part of its timeline at the play cursor added to a class: what
// the model got wrong (or right) on the user's own recording becomes a training sample.

import { api } from "./api.js";
import { filePredictor } from "./predict.js";
import { uploadTo } from "./samples.js";
import { bindModelSelect, classLabel, fillClassSelect, modelInfo, on, state } from "./state.js";
import { $, busy, h, toast } from "./ui.js";

export function initTryFile() {
  bindModelSelect($("#predict-model"));
  filePredictor({
    zone: $("#predict-drop"), input: $("#predict-file"), out: $("#predict-result"),
    model: () => {
      const model = modelInfo();
      if (!model) throw new Error("train or import a model first, then pick it here");
      const projectId = state.projectId;
      return { labels: model.labels, predict: (file) => api.predict(projectId, model.id, file) };
    },
    after: (result, file) => $("#predict-result").append(teachRow(result, file)),
  });
  // no model: the drop zone and its file button are off, with a note saying why
  const noModel = () => {
    const none = !modelInfo();
    $("#predict-no-model").hidden = !none;
    $("#predict-file").disabled = none;
    $("[data-opens=predict-file]").disabled = none;
    $("#predict-drop").classList.toggle("disabled", none);
    $("#predict-drop").setAttribute("aria-disabled", String(none));
  };
  on("project", (project, { switched }) => {
    if (switched) $("#predict-result").replaceChildren(); // its answer, and adding to a class, were the other project's
    else fillTeachClasses(); // a class added, renamed or deleted since the file was tried
    noModel();
  });
  on("model", noModel);
  noModel();
}

const seconds = (t) => `${t.toFixed(1)} s`;

const CHOOSE = "choose a class…";

/** The project's classes in the select of the row under a tried file's answer, keeping the one chosen if it is still there. */
function fillTeachClasses() {
  const choose = $("#predict-result [data-testid=teach-class]");
  if (!choose) return;
  fillClassSelect(choose, CHOOSE);
  choose.dispatchEvent(new Event("change")); // its buttons: off without a class
}

/**
 * The recording a tried file's parts are added as: named for the file, with a short digest of its
 * name, size and time of change, so that the same file tried again (with another model, after a
 * reload) is the same recording, and another file of the same name (every phone's "recording.m4a")
 * is not.
 */
function recordingOf(file, name) {
  let digest = 0x811c9dc5; // FNV-1a, 32 bits
  for (const c of `${name}|${file.size}|${file.lastModified}`) {
    digest ^= c.codePointAt(0);
    digest = Math.imul(digest, 0x01000193) >>> 0;
  }
  return `${name.replace(/\.[^.]*$/, "") || "recording"}-${digest.toString(16).padStart(8, "0").slice(0, 6)}`;
}

/**
 * "Add to class [X]: the whole file | the part at the cursor (bass, 12.0–18.5 s)". Every part of one
 * tried file is one recording (one take, named for the file), so that the split never trains on one
 * part and validates on another. The server cuts the stretch from the file itself, at its own rate.
 */
function teachRow(result, file) {
  const projectId = state.projectId;
  const name = file.name || "recording";
  const recording = recordingOf(file, name);
  const choose = h("select", { "aria-label": "Class to add the file to", "data-testid": "teach-class" });
  fillClassSelect(choose, CHOOSE);
  const status = h("span", { class: "muted small", "data-testid": "teach-status", role: "status" });
  const wholeButton = h("button", { type: "button", class: "small", "data-testid": "teach-file" }, "the whole file");
  const segments = (result.timeline && result.timeline.segments) || [];
  const audio = $("#predict-result [data-testid=predict-audio]");
  const at = () => {
    const t = audio ? audio.currentTime : 0;
    return segments.find((s) => t >= s.start_s && t < s.end_s) || segments[segments.length - 1];
  };
  const partButton = segments.length ? h("button", { type: "button", class: "small", "data-testid": "teach-part" }) : null;
  const describe = () => {
    if (!partButton) return;
    const seg = at();
    partButton.textContent = `the part at the cursor (${classLabel(seg.label)}, ${seg.start_s.toFixed(1)}–${seconds(seg.end_s)})`;
  };
  const enable = () => {
    for (const b of [wholeButton, partButton]) if (b) b.disabled = !choose.value;
  };
  const add = async (fields, what) => {
    const className = choose.value;
    let answer;
    try {
      answer = await uploadTo(className, [[file, name]], { recording, ...fields }, projectId, "training");
    } catch (err) {
      status.textContent = `Nothing added: ${err.message}`;
      throw err;
    }
    const n = (answer.added || []).length;
    const why = (answer.skipped || []).map((s) => s.reason).join("; ");
    const noted = (answer.warnings || []).map((w) => ` Note: ${w.message}.`).join("");
    status.textContent = (n ? `Added ${what} to ${classLabel(className)} (${n} sample${n === 1 ? "" : "s"}); train again to teach it.`
      : `Nothing added: ${why || "the file held no sound"}.`) + noted;
    if (n) toast(`Added ${what} to ${classLabel(className)}.`);
  };
  wholeButton.addEventListener("click", () => busy(wholeButton, () => add({}, `all of ${name}`)).then(enable));
  if (partButton) {
    partButton.addEventListener("click", () => {
      const seg = at();
      busy(partButton, () => add({ start_s: seg.start_s, end_s: seg.end_s },
        `${seg.start_s.toFixed(1)}–${seconds(seg.end_s)} of ${name}`)).then(enable);
    });
    if (audio) for (const event of ["timeupdate", "seeked"]) audio.addEventListener(event, describe);
  }
  choose.addEventListener("change", enable);
  describe();
  enable();
  return h("div", { class: "row teach", "data-testid": "teach" },
    h("span", {}, "Wrong, or a good example? Add to class"), choose, wholeButton, partButton, status);
}
