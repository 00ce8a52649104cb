// The two bindings of realtime protocol v1 a browser can use (Documentation/Protocol.md):
// WebSocket at /v1/realtime (§12), and Server-Sent Events at /v1/realtime/events with
// frames sent back by POST, for networks that block WebSocket. Both carry the same JSON
// frames and report the same things: onFrame(frame), onActivity(), onClose(code, reason).

const OPEN_TIMEOUT_MS = 10_000;

/** Protocol v1 over one WebSocket (§12): one frame per text message. */
export class WebSocketTransport {
  constructor() {
    this.name = "websocket";
    this.onFrame = () => {};
    this.onActivity = () => {};
    this.onClose = () => {};
    this.socket = null;
    this.closed = false;
  }

  /** Resolves once the socket is open; rejects when it cannot open (blocked, refused, timeout). */
  open() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return new Promise((resolve, reject) => {
      let opened = false;
      const socket = new WebSocket(`${scheme}//${location.host}/v1/realtime`);
      this.socket = socket;
      const timer = setTimeout(() => { if (!opened) { socket.close(); reject(new Error("WebSocket open timed out")); } }, OPEN_TIMEOUT_MS);
      socket.onopen = () => { opened = true; clearTimeout(timer); resolve(); };
      socket.onmessage = (message) => {
        this.onActivity();
        if (typeof message.data !== "string") return;
        let frame;
        try { frame = JSON.parse(message.data); } catch { return; }
        this.onFrame(frame);
      };
      socket.onclose = (event) => {
        clearTimeout(timer);
        if (!opened) { reject(new Error(`WebSocket closed before opening (${event.code})`)); return; }
        this.finish(event.code, event.reason);
      };
      socket.onerror = () => {};
    });
  }

  send(frame) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  close(code = 1000, reason = "") {
    try { this.socket?.close(code, reason); } catch { this.socket?.close(); }
    this.finish(1000, "closed by the client");
  }

  finish(code, reason) {
    if (this.closed) return;
    this.closed = true;
    this.onClose(code, reason);
  }
}

/**
 * Protocol v1 over Server-Sent Events: `GET /v1/realtime/events` streams the server's frames
 * (first an `event: connection` naming the connection, then one `data:` line per frame,
 * `: keepalive` comments, and `event: close` before the server ends it); the client's
 * frames go to `POST /v1/realtime/events/<connection>`, in order, batched with "\n", each
 * with the stream's key in `Realtime-Connection-Key` (the id is only an address).
 * Read with fetch + ReadableStream (not EventSource) so reconnecting is the client's own
 * backoff and no automatic reconnect resumes from the server's `id:`.
 */
export class SSETransport {
  constructor() {
    this.name = "sse";
    this.onFrame = () => {};
    this.onActivity = () => {};
    this.onClose = () => {};
    this.connection = null;
    this.key = null;
    this.abort = new AbortController();
    this.queue = [];
    this.posting = false;
    this.closed = false;
    this.closeFrame = null;
  }

  async open() {
    const timer = setTimeout(() => this.abort.abort(), OPEN_TIMEOUT_MS);
    let response;
    try {
      response = await fetch("/v1/realtime/events", {
        headers: { Accept: "text/event-stream" }, cache: "no-store", credentials: "same-origin", signal: this.abort.signal,
      });
    } catch (error) {
      clearTimeout(timer);
      throw new Error(`event stream failed: ${error.message}`);
    }
    if (!response.ok || !(response.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
      clearTimeout(timer);
      this.abort.abort();
      throw new Error(`event stream refused: HTTP ${response.status}`);
    }
    const reader = response.body.getReader();
    let resolveOpen;
    let rejectOpen;
    const opened = new Promise((resolve, reject) => { resolveOpen = resolve; rejectOpen = reject; });
    this.readLoop(reader, (connection) => { clearTimeout(timer); resolveOpen(connection); }, (error) => { clearTimeout(timer); rejectOpen(error); });
    const info = await opened;
    this.connection = info.connection;
    this.key = info.key;
  }

  async readLoop(reader, onConnection, onFailure) {
    const decoder = new TextDecoder();
    let buffer = "";
    let message = { event: "", data: [] };
    let connected = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.onActivity();
        buffer += decoder.decode(value, { stream: true });
        let newline;
        while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + (buffer[newline] === "\r" && buffer[newline + 1] === "\n" ? 2 : 1));
          if (line === "") {
            if (message.data.length > 0 || message.event) {
              const data = message.data.join("\n");
              if (message.event === "connection") {
                const info = JSON.parse(data);
                connected = true;
                onConnection(info);
              } else if (message.event === "close") {
                this.closeFrame = JSON.parse(data);
              } else if (message.event === "" || message.event === "message") {
                try { this.onFrame(JSON.parse(data)); } catch { /* not a frame */ }
              }
            }
            message = { event: "", data: [] };
            continue;
          }
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let text = colon < 0 ? "" : line.slice(colon + 1);
          if (text.startsWith(" ")) text = text.slice(1);
          if (field === "event") message.event = text;
          else if (field === "data") message.data.push(text);
          // `id:` is the server's resume token; this client resubscribes by seq itself.
        }
      }
    } catch { /* aborted or dropped */ }
    if (!connected) onFailure(new Error("event stream ended before its connection event"));
    const close = this.closeFrame;
    this.finish(close ? close.code : 1006, close ? close.reason : "event stream ended");
  }

  send(frame) {
    if (this.closed) return;
    this.queue.push(JSON.stringify(frame));
    this.pump();
  }

  async pump() {
    if (this.posting || !this.connection) return;
    this.posting = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const body = this.queue.splice(0, 64).join("\n"); // at most 64 frames per POST (§13)
        const response = await fetch(`/v1/realtime/events/${encodeURIComponent(this.connection)}`, {
          method: "POST", headers: { "Content-Type": "application/json", "Realtime-Connection-Key": this.key }, body, cache: "no-store", credentials: "same-origin",
        });
        if (response.status === 404) { this.drop("unknown connection"); return; }
        if (!response.ok) { this.drop(`POST refused: HTTP ${response.status}`); return; }
      }
    } catch {
      this.drop("POST failed");
    } finally {
      this.posting = false;
    }
  }

  /** The server forgot the connection or a POST failed: end it like a dropped connection. */
  drop(reason) {
    this.abort.abort();
    this.finish(1006, reason);
  }

  close() {
    if (this.connection && !this.closed) {
      fetch(`/v1/realtime/events/${encodeURIComponent(this.connection)}`, {
        method: "DELETE", headers: { "Realtime-Connection-Key": this.key }, credentials: "same-origin",
      }).catch(() => {});
    }
    this.abort.abort();
    this.finish(1000, "closed by the client");
  }

  finish(code, reason) {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.onClose(code, reason);
  }
}
