// The HTTP API (Documentation/ChatServer.md) and the login session.
//
// Tokens: the access token lives in memory only; the refresh token is never stored by
// script: the server also sets it as an HttpOnly, SameSite=Strict cookie scoped to
// /v1/auth, and the client refreshes with that cookie (empty body). A reload therefore
// resumes the session without any token in localStorage, sessionStorage or a URL; the
// refresh token in the login answer's body is dropped.

/**
 * Runs `task` (a refresh) while holding this origin's refresh lock (Web Locks API), so the
 * tabs of one browser refresh one after another. They share one refresh cookie: two refreshes
 * in flight at once would both present the same refresh token, which the server takes for a
 * stolen token (RFC 9700 reuse detection) and answers by ending the session. Serialized, each
 * refresh sends the cookie the previous one rotated. Where the API is missing (a page served
 * over plain HTTP from a non-local host is not a secure context) it runs unguarded; the
 * server's `reuseGracePeriod` covers that case.
 */
function acrossTabs(task) {
  return globalThis.navigator?.locks ? navigator.locks.request("swift-messaging.refresh", task) : task();
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || "http_error";
  }
}

export class Api {
  constructor() {
    this.accessToken = null;
    this.expiresAt = 0;
    this.user = null;
    this.session = null;
    this.refreshing = null;
    this.refreshTimer = null;
    /** Called with the new access token after each refresh (the realtime connection renews with it). */
    this.onToken = () => {};
    /** Called when the session ended (refresh refused): the page shows the login form. */
    this.onSignedOut = () => {};
  }

  get signedIn() { return this.accessToken !== null; }

  /** A call to the API; JSON in and out, the API's error body turned into an ApiError. */
  async request(method, path, body, { auth = true, retried = false } = {}) {
    const headers = { Accept: "application/json" };
    if (auth) headers.Authorization = `Bearer ${await this.freshToken()}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin", cache: "no-store",
    });
    if (response.status === 401 && auth && !retried) {
      await this.refresh();
      return this.request(method, path, body, { auth, retried: true });
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data?.error?.code, data?.error?.message);
    return data;
  }

  get(path) { return this.request("GET", path); }
  post(path, body) { return this.request("POST", path, body ?? {}); }

  register(handle, password, displayName) {
    const body = { handle, password };
    if (displayName) body.displayName = displayName;
    return this.request("POST", "/v1/auth/register", body, { auth: false });
  }

  async login(handle, password) {
    const tokens = await this.request("POST", "/v1/auth/login", { handle, password, deviceName: "Web browser" }, { auth: false });
    this.adopt(tokens);
  }

  /** On page load: a new access token from the refresh cookie, if the browser has one. */
  async resume() {
    try {
      await this.refresh();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Rotates the refresh token (cookie) for a new access token; one refresh at a time in this
   * tab, and one at a time across the tabs of this origin (see `acrossTabs`).
   */
  refresh() {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        try {
          const response = await acrossTabs(() => fetch("/v1/auth/refresh", { method: "POST", credentials: "same-origin", cache: "no-store" }));
          const data = await response.json().catch(() => null);
          if (!response.ok) {
            const error = new ApiError(response.status, data?.error?.code, data?.error?.message);
            if (response.status === 401 || response.status === 400) this.signOutLocally();
            throw error;
          }
          this.adopt(data);
          this.onToken(this.accessToken);
        } finally {
          this.refreshing = null;
        }
      })();
    }
    return this.refreshing;
  }

  /** The access token, refreshed first when it expires within 30 s. */
  async freshToken() {
    if (!this.accessToken) throw new ApiError(401, "unauthorized", "Not signed in.");
    if (this.expiresAt - Date.now() < 30_000) await this.refresh();
    return this.accessToken;
  }

  adopt(tokens) {
    this.accessToken = tokens.accessToken;
    this.expiresAt = tokens.accessTokenExpiresAt;
    this.user = tokens.user;
    this.session = tokens.session;
    clearTimeout(this.refreshTimer);
    // Refresh one minute before expiry (tokens live 15 minutes).
    const delay = Math.max(5_000, this.expiresAt - Date.now() - 60_000);
    this.refreshTimer = setTimeout(() => this.refresh().catch(() => {}), delay);
  }

  async logout() {
    try { await this.request("POST", "/v1/auth/logout", {}); } catch { /* signed out locally anyway */ }
    this.signOutLocally();
  }

  signOutLocally() {
    const was = this.accessToken !== null;
    clearTimeout(this.refreshTimer);
    this.accessToken = null;
    this.user = null;
    if (was) this.onSignedOut();
  }
}
