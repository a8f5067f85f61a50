// The studio's "Try a file" card: the selected model on a dropped or picked file (predict.js).

import { api } from "./api.js";
import { filePredictor } from "./predict.js";
import { bindModelSelect, modelInfo, on, state } from "./state.js";
import { $ } from "./ui.js";

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
  on("project", noModel);
  on("model", noModel);
  noModel();
}
