// Keep and share: download the model file, its ONNX export or a web page that runs it, import one, copy or open the share page link.

import { api, fetchFile } from "./api.js";
import { bindModelSelect, modelInfo, on, reloadProject, selectModel, state } from "./state.js";
import { $, busy, bytes, displayName, h, pct, toast } from "./ui.js";

function render() {
  const m = modelInfo(); // share_url and download_url as the server gives them (built only when missing)
  const link = m && m.share_url ? new URL(m.share_url, location.href).href : "";
  $("#share-url").value = link;
  $("#copy-share-btn").disabled = !link;
  const open = $("#open-share-btn");
  open.href = link || "#";
  open.classList.toggle("disabled", !link);
  open.setAttribute("aria-disabled", String(!link));
  const download = $("#download-model-btn");
  download.href = m ? m.download_url : "#";
  download.setAttribute("download", m ? m.file || `${m.id}.earmark` : "");
  download.classList.toggle("disabled", !m);
  download.setAttribute("aria-disabled", String(!m));
  for (const [id, url, name] of [["#download-onnx-btn", "onnx_url", ".onnx"], ["#download-web-btn", "web_url", "-web.zip"]]) {
    const a = $(id);
    a.href = m ? m[url] : "#";
    a.setAttribute("download", m ? `${m.id}${name}` : "");
    a.classList.toggle("disabled", !m);
    a.setAttribute("aria-disabled", String(!m));
  }
  $("#keep-info").replaceChildren(m
    ? h("dl", {},
      h("dt", {}, "file"), h("dd", {}, m.file || m.id),
      h("dt", {}, "labels"), h("dd", {}, m.labels.map(displayName).join(", ")),
      h("dt", {}, "validation accuracy"), h("dd", {}, pct(m.val_accuracy)),
      h("dt", {}, "size"), h("dd", {}, m.size_bytes ? bytes(m.size_bytes) : "–"),
      h("dt", {}, "created"), h("dd", {}, m.created ? new Date(m.created).toLocaleString() : "–"))
    : h("p", { class: "muted" }, "No model yet: train one, or import a model file."));
  $("#model-name").value = m ? m.id : "";
  $("#model-name").disabled = !m;
  $("#rename-model-btn").disabled = !m;
}

/** Fetch the download `a` links to, then save it under the server's name for it (else the link's). */
async function saveDownload(a) {
  const { blob, name } = await fetchFile(a.href);
  const url = URL.createObjectURL(blob);
  const save = h("a", { href: url, download: name || a.getAttribute("download"), hidden: true });
  document.body.append(save);
  save.click();
  save.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000); // the browser has the file by then
}

export function initKeep() {
  bindModelSelect($("#keep-model"));
  on("project", render);
  on("model", render);
  for (const a of [$("#download-model-btn"), $("#download-onnx-btn"), $("#download-web-btn"), $("#open-share-btn")]) {
    a.addEventListener("click", (e) => { if (a.classList.contains("disabled")) e.preventDefault(); });
  }
  // the ONNX file and the web page are made when asked (seconds, the first time): the link spins meanwhile
  for (const a of [$("#download-onnx-btn"), $("#download-web-btn")]) {
    a.addEventListener("click", (e) => {
      e.preventDefault();
      if (a.classList.contains("disabled") || a.classList.contains("is-busy")) return;
      busy(a, () => saveDownload(a));
    });
  }
  $("#copy-share-btn").addEventListener("click", async () => {
    const input = $("#share-url");
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      input.select();
      document.execCommand("copy");
    }
    toast("Share link copied.");
  });
  $("#rename-model-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const m = modelInfo();
    const name = $("#model-name").value.trim();
    if (!m || !name || name === m.id) return;
    busy($("#rename-model-btn"), async () => {
      const info = await api.renameModel(state.projectId, m.id, name);
      await reloadProject();
      selectModel(info.id);
      toast(`Model ${m.id} is now called ${info.id}; its share link changed with its name.`);
    });
  });
  $("#import-model-input").addEventListener("change", (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (!file) return;
    busy($("#import-model-btn"), async () => {
      const info = await api.importModel(state.projectId, file);
      await reloadProject();
      selectModel(info.id);
      const twins = info.same_as || [];
      toast(twins.length ? `Model ${info.id} imported: the same model as ${twins.join(", ")}, already in this project.`
        : `Model ${info.id} imported.`);
    });
  });
}
