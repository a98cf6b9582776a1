// The API client: every request the page sends goes through api().  It sends
// JSON (with Content-Type: application/json, which every POST must say) and
// turns every failure -- no server, or an answer with a 4xx/5xx status -- into
// an ApiError carrying the server's own one-line message and the status.

class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

export async function api(path, { method = "GET", body } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(`cannot reach the server (${err.message})`, 0);
  }
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  if (!response.ok) {
    throw new ApiError((data && data.error) || `HTTP ${response.status}`, response.status);
  }
  return data;
}
