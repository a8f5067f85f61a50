// The one place that talks to the studio's JSON API (docs/studio-api.md).
// Every failed call throws an ApiError carrying the server's plain-words message.

export class ApiError extends Error {
  constructor(message, { status = 0, type = "Error" } = {}) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

const enc = encodeURIComponent;

/** "/api/projects/a%20b/classes/bass" from ("projects", "a b", "classes", "bass"). */
export function apiPath(...segments) {
  return "/api/" + segments.map((s) => enc(String(s))).join("/");
}

/** A sample's id may hold "/" (hand-made subfolders): encode each of its segments. */
export function idPath(id) {
  return String(id).split("/").map(enc).join("/");
}

async function errorFrom(response) {
  let message = `${response.status} ${response.statusText || "error"}`;
  let type = "HTTPError";
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) {
      message = body.error.message;
      type = body.error.type || type;
    } else if (body && body.detail) {
      message = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    }
  } catch {
    // not JSON: keep the status line
  }
  if (response.status === 413 && !/large|limit|too/i.test(message)) message = `upload too large (${message})`;
  return new ApiError(message, { status: response.status, type });
}

/**
 * Who stopped answering, and what to do, for "cannot reach …" and a live view cut off: the share page's
 * visitor never started a server, the studio's user did.
 */
export function serverGone() {
  return location.pathname.startsWith("/try/")
    ? "the computer sharing this model: it stopped serving it (or the network dropped); ask its owner to "
      + "start it again (earmark share, or earmark studio), then reload this page"
    : 'the studio: it stopped (or the network dropped); start "earmark studio" again, then reload this page';
}

/** fetch + JSON; `body` may be a plain object (sent as JSON) or FormData. */
export async function request(method, path, body) {
  const init = { method, headers: {} };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(`cannot reach ${serverGone()}`);
  }
  if (!response.ok) throw await errorFrom(response);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** The file name a Content-Disposition header gives (RFC 5987 `filename*=utf-8''…` or `filename="…"`); "" if none. */
export function attachmentName(disposition) {
  const encoded = /filename\*=utf-8''([^;]+)/i.exec(disposition || "");
  if (encoded) return decodeURIComponent(encoded[1]);
  const plain = /filename="([^"]*)"/i.exec(disposition || "");
  return plain ? plain[1] : "";
}

/** A download fetched rather than followed: {blob, name} (name as the server gives it), or an ApiError. */
export async function fetchFile(path) {
  let response;
  try {
    response = await fetch(path);
  } catch {
    throw new ApiError(`cannot reach ${serverGone()}`);
  }
  if (!response.ok) throw await errorFrom(response);
  return { blob: await response.blob(), name: attachmentName(response.headers.get("Content-Disposition")) };
}

export const get = (path) => request("GET", path);
export const post = (path, body) => request("POST", path, body);
export const patch = (path, body) => request("PATCH", path, body);
export const del = (path) => request("DELETE", path);

/** A WebSocket URL on this server for an /api/... path. */
export function wsUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export const api = {
  status: () => get("/api/status"),
  projects: () => get("/api/projects"),
  project: (p) => get(apiPath("projects", p)),
  createProject: (name, demo) => post("/api/projects", { name, demo: Boolean(demo) }),
  renameProject: (p, name) => patch(apiPath("projects", p), { name }),
  deleteProject: (p) => del(apiPath("projects", p)),
  restoreProject: (undoId) => post(`${apiPath("trash", undoId)}/restore`, {}),
  /** Projects waiting in the projects folder's .trash, newest first: {deleted: [{id, deleted_at, name}]} */
  deletedProjects: () => get("/api/trash"),
  emptyProjectsTrash: (ids) => post("/api/trash/empty", { ids }),
  exportUrl: (p) => apiPath("projects", p, "export"),
  importProject: (file, name) => {
    const form = new FormData();
    form.append("file", file);
    if (name) form.append("name", name);
    return post("/api/projects/import", form);
  },

  addClass: (p, name) => post(apiPath("projects", p, "classes"), { name }),
  renameClass: (p, c, name) => patch(apiPath("projects", p, "classes", c), { name }),
  deleteClass: (p, c) => del(apiPath("projects", p, "classes", c)),
  restore: (p, undoId) => post(`${apiPath("projects", p, "trash", undoId)}/restore`, {}),
  /** What waits in the project's .trash, newest first: {deleted: [{id, deleted_at, classes, models, sample}]} */
  deleted: (p) => get(apiPath("projects", p, "trash")),
  /** Delete for good the deletes `ids` (as listed): {removed: [ids]} */
  emptyTrash: (p, ids) => post(`${apiPath("projects", p, "trash")}/empty`, { ids }),

  /** set: "training" (the default) or "test", the class's test set */
  samples: (p, c, set = "training") => get(`${apiPath("projects", p, "classes", c, "samples")}${setQuery(set)}`),
  /** files: [File|Blob] or [[blob, name]], fields: {clip_s, recording}; set as for samples */
  addSamples: (p, c, files, fields = {}, set = "training") => {
    const form = new FormData();
    for (const f of files) {
      if (Array.isArray(f)) form.append("files", f[0], f[1]);
      else form.append("files", f, f.name);
    }
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null && v !== "") form.append(k, v);
    return post(`${apiPath("projects", p, "classes", c, "samples")}${setQuery(set)}`, form);
  },
  moveSample: (p, c, id, to, set = "training") =>
    post(`${apiPath("projects", p, "samples", c)}/${idPath(id)}/move${setQuery(set)}`, { to }),
  /** A move's Undo: the sample (in class `c` as `id`, as the move answered) back to `to`, following
   *  renames of both classes made since the move (`since`: the `log_position` it answered;
   *  docs/studio-api.md, `?undo=true`). */
  moveBack: (p, c, id, to, set = "training", since = null) =>
    post(`${apiPath("projects", p, "samples", c)}/${idPath(id)}/move${setQuery(set)}${set === "test" ? "&" : "?"}undo=true${since == null ? "" : `&since=${encodeURIComponent(since)}`}`, { to }),
  deleteSample: (p, c, id, set = "training") => del(`${apiPath("projects", p, "samples", c)}/${idPath(id)}${setQuery(set)}`),
  /** Move a sample's whole recording to the test set, or (toTraining) back: {moved: [Sample...]} */
  toTest: (p, c, id) => post(`${apiPath("projects", p, "samples", c)}/${idPath(id)}/to-test`),
  toTraining: (p, c, id) => post(`${apiPath("projects", p, "samples", c)}/${idPath(id)}/to-training`),
  /** Score models (none named: every model) on the project's test set. */
  evaluateTestSet: (p, models = []) => post(apiPath("projects", p, "test", "evaluate"), { models }),

  train: (p, settings) => post(apiPath("projects", p, "train"), settings),
  job: (id) => get(apiPath("jobs", id)),
  cancelJob: (id) => post(apiPath("jobs", id, "cancel")),
  stopJob: (id) => post(apiPath("jobs", id, "stop")),

  model: (p, m) => get(apiPath("projects", p, "models", m)),
  deleteModel: (p, m) => del(apiPath("projects", p, "models", m)),
  renameModel: (p, m, name) => patch(apiPath("projects", p, "models", m), { name }),
  importModel: (p, file) => {
    const form = new FormData();
    form.append("file", file);
    return post(apiPath("projects", p, "models", "import"), form);
  },
  predict: (p, m, file) => {
    const form = new FormData();
    form.append("file", file, file.name || "recording.wav");
    return post(apiPath("projects", p, "models", m, "predict"), form);
  },
  evaluate: (p, m, files) => post(apiPath("projects", p, "models", m, "evaluate"), testSetForm(files)),
  compare: (p, a, b, files) => {
    const form = testSetForm(files);
    form.append("model_a", a);
    form.append("model_b", b);
    return post(apiPath("projects", p, "compare"), form);
  },
  liveUrl: (p, m) => wsUrl(apiPath("projects", p, "models", m, "live")),

  tryInfo: (token) => get(apiPath("try", token)),
  tryPredict: (token, file) => {
    const form = new FormData();
    form.append("file", file, file.name || "recording.wav");
    return post(apiPath("try", token, "predict"), form);
  },
  tryLiveUrl: (token) => wsUrl(apiPath("try", token, "live")),
};

function setQuery(set) {
  return set === "test" ? "?set=test" : "";
}

/** Test-set uploads: a zip as is, or files named by their relative path "class/file.wav". */
function testSetForm(files) {
  const form = new FormData();
  for (const f of files) form.append("files", f, f.relativePath || f.webkitRelativePath || f.name);
  return form;
}
