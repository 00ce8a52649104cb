// The realtime connection: handshake (`auth` frame → `ready`), requests matched by `id`,
// keepalive, and reconnecting by Protocol.md §10 (full-jitter backoff, base 250 ms, cap
// 15 s, reset once ready and caught up). WebSocket first; when it cannot open, the
// Server-Sent Events binding. The page (app.js) keeps the per-conversation cursors and
// resubscribes from them in `onReady`.

import { SSETransport, WebSocketTransport } from "./transports.js";

const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 15_000;
const READY_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
const SILENCE_LIMIT_MS = 40_000; // 2 × the server's 20 s ping (§9)

export class RequestError extends Error {
  constructor(frame) {
    super(frame.message || frame.code);
    this.code = frame.code;
    this.retryAfterMs = frame.retryAfterMs;
  }
}

export class Realtime {
  /**
   * @param api the Api (tokens)
   * @param handlers onFrame(frame) for server frames that are not answers, onReady(realtime)
   *   after each handshake (resolve when resubscribed), onState(state, transport)
   * @param forceSSE skip WebSocket (`?transport=sse`, for tests of the SSE binding)
   */
  constructor(api, handlers, { forceSSE = false } = {}) {
    this.api = api;
    this.handlers = handlers;
    this.forceSSE = forceSSE;
    this.preferSSE = forceSSE;
    this.transport = null;
    this.pending = new Map();
    this.nextId = 0;
    this.attempt = 0;
    this.running = false;
    this.state = "offline";
    this.ready = null;
    this.timers = [];
    this.lastHeard = 0;
    this.retryAfterMs = 0;
    this.resyncedOnce = false;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop() {
    this.running = false;
    this.clearTimers();
    const transport = this.transport;
    this.transport = null;
    transport?.close();
    this.failPending("stopped");
    this.setState("offline");
  }

  get live() { return this.state === "live"; }

  setState(state) {
    this.state = state;
    this.handlers.onState?.(state, this.transport?.name ?? null);
  }

  /** A request with an `id`; resolves with the `ok` result, rejects with the `error` frame. */
  request(frame, { timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
    if (!this.transport || !this.ready) return Promise.reject(new RequestError({ code: "disconnected", message: "not connected" }));
    const id = `r${++this.nextId}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new RequestError({ code: "timeout", message: "no answer" })); }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.transport.send({ ...frame, id });
    });
  }

  /** A frame without an answer (ack, typing, presence, pong). */
  notify(frame) {
    if (this.transport && this.ready) this.transport.send(frame);
  }

  async connect() {
    if (!this.running) return;
    this.setState("connecting");
    let token;
    try {
      token = await this.api.freshToken();
    } catch {
      if (this.api.signedIn) this.scheduleReconnect(); else this.stop();
      return;
    }
    const transport = await this.openTransport();
    if (!this.running) { transport?.close(); return; }
    if (!transport) { this.scheduleReconnect(); return; }
    this.transport = transport;
    this.ready = null;
    transport.onActivity = () => { this.lastHeard = Date.now(); };
    transport.onFrame = (frame) => this.receive(transport, frame);
    transport.onClose = (code, reason) => this.closed(transport, code, reason);
    this.lastHeard = Date.now();
    const id = `a${++this.nextId}`;
    const ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no ready")), READY_TIMEOUT_MS);
      this.pending.set(id, { resolve: (frame) => { clearTimeout(timer); resolve(frame); }, reject: (error) => { clearTimeout(timer); reject(error); }, timer });
    });
    transport.send({ type: "auth", id, token, protocol: 1 });
    let frame;
    try {
      frame = await ready;
    } catch {
      if (this.transport === transport) transport.close(4000, "handshake failed");
      return;
    }
    if (this.transport !== transport) return;
    this.ready = frame;
    this.startKeepalive(frame);
    this.setState("syncing");
    try {
      await this.handlers.onReady?.(this);
    } catch {
      // A refused resubscription: reconnect and try again from the cursors.
      if (this.transport === transport) transport.close(4000, "resubscribe failed");
      return;
    }
    if (this.transport !== transport) return;
    // Ready and caught up: the backoff starts again from its base (§10).
    this.attempt = 0;
    this.resyncedOnce = false;
    this.setState("live");
  }

  /** WebSocket unless it failed before (or SSE is forced); SSE when WebSocket cannot open. */
  async openTransport() {
    const order = this.preferSSE ? [SSETransport, WebSocketTransport] : [WebSocketTransport, SSETransport];
    if (this.forceSSE) order.pop();
    for (const Kind of order) {
      const transport = new Kind();
      try {
        await transport.open();
        this.preferSSE = transport.name === "sse";
        return transport;
      } catch {
        // try the other binding
      }
    }
    return null;
  }

  receive(transport, frame) {
    if (transport !== this.transport) return;
    this.lastHeard = Date.now();
    if (frame.type === "ping") { transport.send({ type: "pong" }); return; }
    if ((frame.type === "ok" || frame.type === "error" || frame.type === "ready") && frame.id && this.pending.has(frame.id)) {
      const entry = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      clearTimeout(entry.timer);
      if (frame.type === "error") entry.reject(new RequestError(frame));
      else entry.resolve(frame.type === "ready" ? frame : frame.result);
      return;
    }
    this.handlers.onFrame?.(frame);
  }

  closed(transport, code, reason) {
    if (transport !== this.transport) return;
    this.transport = null;
    this.ready = null;
    this.clearTimers();
    this.failPending("disconnected");
    if (!this.running) return;
    this.setState("offline");
    if (code === 4403) { this.running = false; this.api.signOutLocally(); return; }
    if (code === 1008) { this.running = false; this.handlers.onFatal?.(`connection refused by policy: ${reason}`); return; }
    if (code === 4401) {
      // Expired or refused token: refresh, then reconnect at once (a clean end, §1).
      this.api.refresh().then(() => this.connect(), () => this.stop());
      return;
    }
    if (code === 4410 && !this.resyncedOnce) { this.resyncedOnce = true; this.connect(); return; }
    if (code === 4429) {
      const match = /retry-after-ms=(\d+)/.exec(reason || "");
      this.retryAfterMs = match ? Number(match[1]) : 1000;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (!this.running) return;
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    const delay = Math.max(Math.random() * ceiling, this.retryAfterMs);
    this.attempt += 1;
    this.retryAfterMs = 0;
    this.setState("offline");
    this.timers.push(setTimeout(() => this.connect(), delay));
  }

  /** Answers nothing in time, or heard nothing for 40 s: the connection is dead (half-open). */
  startKeepalive(ready) {
    const pingEvery = Math.max(1_000, Math.floor((ready.idleTimeoutMs || 60_000) / 3));
    this.timers.push(setInterval(() => {
      if (!this.transport) return;
      if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) { this.transport.close(4000, "silent"); return; }
      this.transport.send({ type: "ping" });
    }, pingEvery));
    // Presence heartbeat (§3 presence): online while the page is open and visible.
    const beat = () => this.notify({ type: "presence", activity: document.visibilityState === "visible" ? "active" : "idle" });
    this.timers.push(setInterval(beat, Math.max(5_000, ready.heartbeatMs || 30_000)));
  }

  /** A refreshed access token renews the open connection (§1). */
  renew(token) {
    if (this.ready) this.request({ type: "auth", token }).catch(() => {});
  }

  clearTimers() {
    for (const timer of this.timers) { clearTimeout(timer); clearInterval(timer); }
    this.timers = [];
  }

  failPending(code) {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new RequestError({ code, message: code }));
    }
    this.pending.clear();
  }
}
