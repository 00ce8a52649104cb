// The chat page: login, the conversation list with unread counts, history with keyset
// scrolling, live events (de-duplicated by seq, resumed by seq after every reconnect),
// retry-safe sends, typing, presence, reactions, read state and attachments.
// Every piece of data is rendered as text (dom.js): no HTML is ever parsed from data.

import { Api, ApiError } from "./api.js";
import { append, clear, el, formatBytes, formatTime } from "./dom.js";
import { Realtime } from "./realtime.js";

const REACTIONS = ["👍", "❤️", "😂", "🎉"];
const PAGE = 30;

const $ = (id) => document.getElementById(id);
const api = new Api();
const params = new URLSearchParams(location.search);
const realtime = new Realtime(api, {
  onFrame: (frame) => receive(frame),
  onReady: () => resubscribe(),
  onState: (state, transport) => showConnection(state, transport),
  onFatal: (reason) => showError(reason),
}, { forceSSE: params.get("transport") === "sse" });
api.onToken = (token) => realtime.renew(token);
api.onSignedOut = () => signedOut();

/** Everything the page knows. */
const state = {
  conversations: new Map(), // id → Conversation (below)
  users: new Map(), // id → user, or a Promise of it while loading
  presence: new Map(), // user id → "online" | "away" | "offline"
  active: null,
  feedSeq: null,
  outbox: new Map(), // clientMessageId → {conversation, text, attachments, node}
};

/**
 * One conversation: `lastSeq` is the last event seq processed (the resume point), `messages`
 * by seq (a message keeps the seq of its creation), `reactions` by message id.
 */
function makeConversation(summary) {
  return {
    id: summary.conversation.id, info: summary.conversation, role: summary.role,
    lastSeq: summary.conversation.lastSeq, readSeq: summary.readSeq ?? 0, unread: 0,
    members: [], messages: new Map(), reactions: new Map(), readers: new Map(), typing: new Map(),
    oldestCursor: null, hasMore: true, historyLoaded: false, loadingHistory: false, subscribed: false,
    ackTimer: null,
  };
}

// MARK: Start

async function boot() {
  wireForms();
  if (await api.resume()) await enter(); else showAuth();
}

function showAuth() {
  $("chat-view").hidden = true;
  $("auth-view").hidden = false;
  $("auth-handle").focus();
}

async function enter() {
  $("auth-view").hidden = true;
  $("chat-view").hidden = false;
  $("me-name").textContent = api.user.displayName || api.user.handle;
  $("me-avatar").textContent = initials(api.user.displayName || api.user.handle);
  state.users.set(api.user.id, api.user);
  const list = await api.get("/v1/conversations?limit=100");
  for (const summary of list.conversations) {
    state.conversations.set(summary.conversation.id, makeConversation(summary));
  }
  const unread = await api.get("/v1/unread");
  for (const entry of unread.conversations) {
    const conversation = state.conversations.get(entry.conversation);
    if (conversation) conversation.unread = entry.unread;
  }
  renderList();
  await Promise.all([...state.conversations.values()].map(loadMembers));
  renderList();
  realtime.start();
  const wanted = location.hash.slice(1);
  const first = state.conversations.has(wanted) ? wanted : sortedConversations()[0]?.id;
  if (first) await open(first);
}

function signedOut() {
  realtime.stop();
  state.conversations.clear();
  state.outbox.clear();
  state.active = null;
  clear($("conversation-list"));
  clear($("message-list"));
  clear($("pending-list"));
  showAuth();
}

// MARK: Users and members

async function user(id) {
  const known = state.users.get(id);
  if (known) return known;
  const loading = api.get(`/v1/users/${encodeURIComponent(id)}`).then((answer) => {
    state.users.set(id, answer.user);
    return answer.user;
  }, () => {
    const unknown = { id, handle: "unknown", displayName: "Unknown user" };
    state.users.set(id, unknown);
    return unknown;
  });
  state.users.set(id, loading);
  return loading;
}

function userName(id) {
  const known = state.users.get(id);
  if (!known || known instanceof Promise) return "…";
  return known.displayName || known.handle;
}

async function loadMembers(conversation) {
  try {
    const answer = await api.get(`/v1/conversations/${conversation.id}/members`);
    conversation.members = answer.members.map((member) => member.user);
    for (const member of answer.members) conversation.readers.set(member.user, member.readSeq);
    await Promise.all(conversation.members.map(user));
  } catch { /* shown without names */ }
}

function others(conversation) { return conversation.members.filter((id) => id !== api.user.id); }

function title(conversation) {
  if (conversation.info.title) return conversation.info.title;
  const names = others(conversation).map(userName);
  return names.length > 0 ? names.join(", ") : "Just you";
}

function initials(text) {
  return (text || "?").split(/\s+/).map((word) => [...word][0] || "").join("").slice(0, 2).toUpperCase();
}

// MARK: Realtime

/** After each handshake: the feed and every conversation from its cursor (§10). */
async function resubscribe() {
  const feed = await realtime.request(state.feedSeq === null ? { type: "feed.subscribe" } : { type: "feed.subscribe", after: state.feedSeq });
  if (state.feedSeq === null) state.feedSeq = feed.seq;
  for (const entry of feed.unread) {
    const conversation = state.conversations.get(entry.conversation);
    if (conversation && conversation.id !== state.active) conversation.unread = entry.unread;
  }
  await Promise.all([...state.conversations.values()].map(subscribe));
  await watch([...new Set([...state.conversations.values()].flatMap(others))]);
  renderList();
  renderHeader();
  flushOutbox();
}

/** Follows users' presence (their current state comes in the answer, changes as frames). */
async function watch(users) {
  for (let start = 0; start < users.length; start += 50) {
    const answer = await realtime.request({ type: "watch", users: users.slice(start, start + 50) });
    for (const presence of answer.presence) state.presence.set(presence.userID, presence.state);
  }
  renderList();
  renderHeader();
}

async function subscribe(conversation) {
  try {
    await realtime.request({ type: "subscribe", conversation: conversation.id, after: conversation.lastSeq });
    conversation.subscribed = true;
  } catch (error) {
    if (error.code === "not_found") { dropConversation(conversation.id); return; }
    throw error;
  }
}

function receive(frame) {
  switch (frame.type) {
    case "event": return applyEvent(frame.event);
    case "typing": return showTyping(frame);
    case "presence": state.presence.set(frame.presence.userID, frame.presence.state); renderList(); renderHeader(); return;
    case "receipt": return applyReceipt(frame);
    case "feed": return applyFeed(frame.entry);
    default: return undefined; // frames this client does not know are ignored (§2)
  }
}

function applyEvent(event) {
  const conversation = state.conversations.get(event.conversation);
  if (!conversation) return;
  if (event.seq <= conversation.lastSeq) return; // at least once: drop what was processed
  if (event.seq > conversation.lastSeq + 1) {
    // A gap: resubscribe from the last processed seq (§5).
    realtime.request({ type: "subscribe", conversation: conversation.id, after: conversation.lastSeq }).catch(() => {});
    return;
  }
  conversation.lastSeq = event.seq;
  conversation.info.lastActivityAt = event.at;
  switch (event.kind) {
    case "message.created":
      putMessage(conversation, event.message);
      if (event.message.sender !== api.user.id) {
        if (conversation.id === state.active && document.visibilityState === "visible") markRead(conversation);
        else conversation.unread += 1;
        conversation.typing.delete(event.message.sender);
      }
      break;
    case "message.edited":
    case "message.deleted":
      putMessage(conversation, event.message);
      break;
    case "reaction.added":
    case "reaction.removed":
      applyReaction(conversation, event);
      break;
    case "member.joined":
      if (!conversation.members.includes(event.user)) conversation.members.push(event.user);
      user(event.user).then(() => { renderList(); renderHeader(); });
      break;
    case "member.left":
    case "member.banned":
      conversation.members = conversation.members.filter((id) => id !== event.user);
      if (event.user === api.user.id) dropConversation(conversation.id);
      break;
    case "conversation.updated":
      conversation.info.title = event.title;
      conversation.info.topic = event.topic;
      break;
    case "conversation.deleted":
      dropConversation(conversation.id);
      return;
    default:
      break;
  }
  scheduleAck(conversation);
  renderList();
  if (conversation.id === state.active) { renderHeader(); renderTyping(); }
}

/** Cumulative acknowledgement, batched (§3 ack). */
function scheduleAck(conversation) {
  if (conversation.ackTimer) return;
  conversation.ackTimer = setTimeout(() => {
    conversation.ackTimer = null;
    if (conversation.subscribed) realtime.notify({ type: "ack", conversation: conversation.id, seq: conversation.lastSeq });
  }, 200);
}

async function applyFeed(entry) {
  if (state.feedSeq !== null && entry.seq <= state.feedSeq) return;
  state.feedSeq = entry.seq;
  if (entry.change === "conversation.joined" && !state.conversations.has(entry.conversation)) {
    try {
      const answer = await api.get(`/v1/conversations/${entry.conversation}`);
      const conversation = makeConversation({ conversation: answer.conversation, role: entry.role, readSeq: 0 });
      conversation.unread = 0;
      state.conversations.set(conversation.id, conversation);
      await loadMembers(conversation);
      await subscribe(conversation);
      await watch(others(conversation));
    } catch { /* gone again */ }
  } else if (entry.change === "conversation.left" || entry.change === "conversation.deleted") {
    dropConversation(entry.conversation);
  } else if (entry.change === "conversation.updated") {
    const conversation = state.conversations.get(entry.conversation);
    if (conversation) { conversation.info.title = entry.title; conversation.info.topic = entry.topic; renderList(); renderHeader(); }
  }
}

function dropConversation(id) {
  if (!state.conversations.delete(id)) return;
  if (state.active === id) { state.active = null; clear($("message-list")); renderHeader(); }
  renderList();
}

// MARK: Read state, receipts, typing

function markRead(conversation) {
  const newest = Math.max(0, ...[...conversation.messages.keys()]);
  const seq = Math.max(newest, conversation.readSeq);
  conversation.unread = 0;
  if (seq <= conversation.readSeq || !realtime.live) { renderList(); return; }
  conversation.readSeq = seq;
  realtime.request({ type: "read", conversation: conversation.id, seq }).catch(() => { conversation.readSeq = 0; });
  renderList();
}

function applyReceipt(frame) {
  const conversation = state.conversations.get(frame.conversation);
  if (!conversation) return;
  conversation.readers.set(frame.user, frame.readSeq);
  if (frame.user === api.user.id && frame.readSeq >= conversation.readSeq) {
    conversation.readSeq = frame.readSeq;
    conversation.unread = 0;
    renderList();
  }
  if (conversation.id === state.active) renderSeen(conversation);
}

function showTyping(frame) {
  const conversation = state.conversations.get(frame.conversation);
  if (!conversation || frame.user === api.user.id) return;
  if (frame.typing) conversation.typing.set(frame.user, Date.now() + 6_000);
  else conversation.typing.delete(frame.user);
  if (conversation.id === state.active) renderTyping();
  setTimeout(() => { if (conversation.id === state.active) renderTyping(); }, 6_100);
}

function renderTyping() {
  const conversation = state.conversations.get(state.active);
  const now = Date.now();
  const names = conversation ? [...conversation.typing].filter(([, until]) => until > now).map(([id]) => userName(id)) : [];
  $("typing").textContent = names.length === 0 ? "" : `${names.join(", ")} ${names.length === 1 ? "is" : "are"} typing…`;
}

// The server forwards one typing notice per user and conversation every 2 s and drops the
// others (`throttled`): send at most that often, and once more when the window has passed if
// the user typed in between, so a notice right after a send is not lost.
let typingSentAt = 0;
let lastInputAt = 0;
let typingTimer = null;
function composerTyping() {
  lastInputAt = Date.now();
  sendTyping();
}

function sendTyping() {
  if (!state.active || !$("composer-text").value.trim()) return;
  const wait = 2_100 - (Date.now() - typingSentAt);
  if (wait > 0) {
    typingTimer ??= setTimeout(() => { typingTimer = null; if (Date.now() - lastInputAt < 5_000) sendTyping(); }, wait);
    return;
  }
  typingSentAt = Date.now();
  realtime.notify({ type: "typing", conversation: state.active, typing: true });
}

// MARK: History

async function open(id) {
  const conversation = state.conversations.get(id);
  if (!conversation) return;
  state.active = id;
  history.replaceState(null, "", `${location.pathname}${location.search}#${id}`);
  clear($("message-list"));
  clear($("pending-list"));
  $("conversation-error").hidden = true;
  $("composer").hidden = false;
  renderHeader();
  renderList();
  renderTyping();
  if (!conversation.historyLoaded) await loadOlder(conversation);
  for (const message of [...conversation.messages.values()].sort((a, b) => a.seq - b.seq)) renderMessage(conversation, message);
  for (const entry of state.outbox.values()) if (entry.conversation === id) $("pending-list").appendChild(entry.node);
  renderSeen(conversation);
  scrollToBottom();
  markRead(conversation);
  if (realtime.live) {
    realtime.request({ type: "receipts", conversation: id }).then((answer) => {
      for (const receipt of answer.receipts) if (receipt.readSeq !== undefined) conversation.readers.set(receipt.user, receipt.readSeq);
      renderSeen(conversation);
    }).catch(() => {});
  }
  $("composer-text").focus();
}

/** The next older page (keyset on seq: `before` = the oldest seq shown). */
async function loadOlder(conversation) {
  if (conversation.loadingHistory || !conversation.hasMore) return;
  conversation.loadingHistory = true;
  $("history-status").textContent = "Loading…";
  try {
    const cursor = conversation.oldestCursor === null ? "" : `&before=${conversation.oldestCursor}`;
    const page = await api.get(`/v1/conversations/${conversation.id}/messages?limit=${PAGE}${cursor}`);
    conversation.hasMore = page.hasMore;
    conversation.historyLoaded = true;
    const senders = new Set(page.messages.map((message) => message.sender));
    await Promise.all([...senders].map(user));
    for (const message of page.messages) {
      conversation.reactions.set(message.id, new Map((message.reactions || []).map((r) => [r.emoji, { count: r.count, me: r.me }])));
      putMessage(conversation, message, { fromHistory: true });
      conversation.oldestCursor = conversation.oldestCursor === null ? message.seq : Math.min(conversation.oldestCursor, message.seq);
    }
    if (page.nextCursor !== undefined) conversation.oldestCursor = page.nextCursor;
  } catch (error) {
    showError(`History: ${error.message}`);
  } finally {
    conversation.loadingHistory = false;
    $("history-status").textContent = conversation.hasMore ? "" : "Beginning of the conversation";
  }
}

async function scrolled() {
  const box = $("messages");
  const conversation = state.conversations.get(state.active);
  if (!conversation || box.scrollTop > 80 || !conversation.hasMore || conversation.loadingHistory) return;
  const before = box.scrollHeight;
  await loadOlder(conversation);
  box.scrollTop += box.scrollHeight - before; // keep the reader's place
}

// MARK: Messages

function putMessage(conversation, message, { fromHistory = false } = {}) {
  const known = conversation.messages.get(message.seq);
  if (fromHistory && known && (known.editedAt || 0) > (message.editedAt || 0)) return;
  conversation.messages.set(message.seq, message);
  if (message.sender === api.user.id) settleOutbox(message.clientMessageId);
  if (conversation.id === state.active) {
    const box = $("messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
    renderMessage(conversation, message);
    renderSeen(conversation);
    if (!fromHistory && atBottom) scrollToBottom();
  }
}

function renderMessage(conversation, message) {
  const list = $("message-list");
  const node = messageNode(conversation, message);
  const existing = list.querySelector(`[data-seq="${message.seq}"]`);
  if (existing) { existing.replaceWith(node); return; }
  const later = [...list.children].find((child) => Number(child.dataset.seq) > message.seq);
  list.insertBefore(node, later || null);
}

function messageNode(conversation, message) {
  const mine = message.sender === api.user.id;
  const body = [];
  if (message.deletedAt) body.push(el("p", { class: "text deleted", text: "Message deleted" }));
  else if (message.hidden) body.push(el("p", { class: "text deleted", text: "Hidden (you block this user)" }));
  else if (message.kind === "encrypted") body.push(el("p", { class: "text deleted", text: "Encrypted message (not supported in the web client)" }));
  else if (message.text !== undefined) body.push(el("p", { class: "text", text: message.text }));
  for (const attachment of message.attachments || []) {
    body.push(el("button", {
      type: "button", class: "attachment", "data-attachment": attachment.id,
      onclick: () => download(attachment),
    }, `📎 ${attachment.name || "attachment"}`, el("small", { text: ` ${formatBytes(attachment.byteCount)}` })));
  }
  const meta = el("span", { class: "meta" }, formatTime(message.createdAt), message.editedAt && !message.deletedAt ? " · edited" : "");
  const reactions = el("div", { class: "reactions" });
  const summary = conversation.reactions.get(message.id) || new Map();
  for (const [emoji, { count, me }] of summary) {
    if (count <= 0) continue;
    reactions.appendChild(el("button", {
      type: "button", class: me ? "reaction me" : "reaction", "data-emoji": emoji, title: me ? "Remove your reaction" : "React",
      onclick: () => react(conversation, message, emoji, !me),
    }, `${emoji} ${count}`));
  }
  const picker = el("div", { class: "picker" }, REACTIONS.map((emoji) => el("button", {
    type: "button", class: "pick", "data-emoji": emoji, title: `React with ${emoji}`,
    onclick: () => react(conversation, message, emoji, !(summary.get(emoji)?.me)),
  }, emoji)));
  return el("div", { class: mine ? "message mine" : "message", "data-seq": message.seq, "data-id": message.id },
    mine ? null : el("span", { class: "avatar small", text: initials(userName(message.sender)) }),
    el("div", { class: "bubble" },
      mine ? null : el("span", { class: "author", text: userName(message.sender) }),
      body, meta, reactions, message.deletedAt ? null : picker),
    el("span", { class: "seen" }));
}

/** "Seen" under my newest message that another member read. */
function renderSeen(conversation) {
  const list = $("message-list");
  for (const node of list.querySelectorAll(".seen")) node.textContent = "";
  const mine = [...conversation.messages.values()].filter((message) => message.sender === api.user.id).sort((a, b) => b.seq - a.seq)[0];
  if (!mine) return;
  const readers = [...conversation.readers].filter(([id, seq]) => id !== api.user.id && seq >= mine.seq).map(([id]) => userName(id));
  const node = list.querySelector(`[data-seq="${mine.seq}"] .seen`);
  if (node && readers.length > 0) node.textContent = `Seen by ${readers.join(", ")}`;
}

function applyReaction(conversation, event) {
  const summary = conversation.reactions.get(event.message) || new Map();
  conversation.reactions.set(event.message, summary);
  const entry = summary.get(event.emoji) || { count: 0, me: false };
  const added = event.kind === "reaction.added";
  entry.count = Math.max(0, entry.count + (added ? 1 : -1));
  if (event.user === api.user.id) entry.me = added;
  summary.set(event.emoji, entry);
  const message = [...conversation.messages.values()].find((candidate) => candidate.id === event.message);
  if (message && conversation.id === state.active) renderMessage(conversation, message);
}

async function react(conversation, message, emoji, add) {
  try {
    await realtime.request({ type: add ? "react" : "unreact", message: message.id, emoji, conversation: conversation.id });
  } catch (error) {
    showError(`Reaction: ${error.message}`);
  }
}

// MARK: Sending (retry-safe: one clientMessageId per message, reused for every retry)

function queueSend(conversationId, text, attachments = []) {
  const clientMessageId = crypto.randomUUID();
  const node = el("div", { class: "message mine pending", "data-client-id": clientMessageId },
    el("div", { class: "bubble" },
      text ? el("p", { class: "text", text }) : null,
      attachments.map((attachment) => el("span", { class: "attachment", text: `📎 ${attachment.fileName}` })),
      el("span", { class: "meta", text: "sending…" })));
  const entry = { conversation: conversationId, clientMessageId, text, attachments: attachments.map((a) => a.id), node, inFlight: false };
  state.outbox.set(clientMessageId, entry);
  if (conversationId === state.active) { $("pending-list").appendChild(node); scrollToBottom(); }
  sendEntry(entry);
}

async function sendEntry(entry) {
  if (entry.inFlight || !realtime.live && !realtime.ready) return;
  entry.inFlight = true;
  const frame = { type: "send", conversation: entry.conversation, clientMessageId: entry.clientMessageId };
  if (entry.text) frame.text = entry.text;
  if (entry.attachments.length > 0) frame.attachments = entry.attachments;
  try {
    const result = await realtime.request(frame);
    const conversation = state.conversations.get(entry.conversation);
    if (conversation) putMessage(conversation, result.message);
    settleOutbox(entry.clientMessageId);
  } catch (error) {
    entry.inFlight = false;
    if (["disconnected", "timeout", "stopped", "rate_limited", "slow_mode", "unavailable", "internal"].includes(error.code)) {
      entry.node.querySelector(".meta").textContent = "waiting for the connection…";
      if (error.code === "rate_limited" || error.code === "slow_mode") setTimeout(() => sendEntry(entry), error.retryAfterMs || 1000);
      return; // sent again (same clientMessageId) on the next connection
    }
    entry.node.classList.add("failed");
    entry.node.querySelector(".meta").textContent = `not sent: ${error.message}`;
    state.outbox.delete(entry.clientMessageId);
  }
}

function settleOutbox(clientMessageId) {
  const entry = state.outbox.get(clientMessageId);
  if (!entry) return;
  state.outbox.delete(clientMessageId);
  entry.node.remove();
}

function flushOutbox() {
  for (const entry of state.outbox.values()) sendEntry(entry);
}

// MARK: Attachments

async function attach(file) {
  const conversationId = state.active;
  if (!file || !conversationId) return;
  try {
    const slot = await api.post(`/v1/conversations/${conversationId}/attachments`, {
      fileName: file.name, contentType: file.type || "application/octet-stream", size: file.size,
    });
    const upload = await fetch(slot.upload.url, { method: slot.upload.method || "PUT", headers: slot.upload.headers, body: file });
    if (!upload.ok) throw new ApiError(upload.status, "upload_failed", `upload failed (HTTP ${upload.status})`);
    // A send carries text (the protocol requires it beside attachments): the composer's, else the file name.
    queueSend(conversationId, $("composer-text").value.trim() || file.name, [slot.attachment]);
    $("composer-text").value = "";
  } catch (error) {
    showError(`Attachment: ${error.message}`);
  }
}

async function download(attachment) {
  try {
    const grant = await api.get(`/v1/attachments/${encodeURIComponent(attachment.id)}/download`);
    const link = el("a", { href: grant.url, download: attachment.name || "attachment", rel: "noopener" });
    document.body.appendChild(link);
    link.click();
    link.remove();
  } catch (error) {
    showError(`Download: ${error.message}`);
  }
}

// MARK: Rendering

function sortedConversations() {
  return [...state.conversations.values()].sort((a, b) => b.info.lastActivityAt - a.info.lastActivityAt);
}

function renderList() {
  const list = clear($("conversation-list"));
  for (const conversation of sortedConversations()) {
    const other = conversation.info.kind === "direct" ? others(conversation)[0] : null;
    const presence = other ? state.presence.get(other) || "offline" : null;
    const newest = [...conversation.messages.values()].sort((a, b) => b.seq - a.seq)[0];
    list.appendChild(el("li", {
      class: conversation.id === state.active ? "conversation-item active" : "conversation-item",
      "data-id": conversation.id, tabindex: 0, onclick: () => open(conversation.id),
      onkeydown: (event) => { if (event.key === "Enter") open(conversation.id); },
    },
    el("span", { class: "avatar" }, initials(title(conversation)), presence ? el("i", { class: `dot ${presence}`, title: presence }) : null),
    el("span", { class: "item-text" },
      el("strong", { text: title(conversation) }),
      el("small", { text: newest?.text ? `${newest.sender === api.user.id ? "You: " : ""}${newest.text}` : conversation.info.kind })),
    conversation.unread > 0 ? el("span", { class: "unread", "data-unread": conversation.unread, text: conversation.unread > 99 ? "99+" : conversation.unread }) : null));
  }
}

function renderHeader() {
  const conversation = state.conversations.get(state.active);
  $("add-member").hidden = !conversation || conversation.info.kind === "direct";
  if (!conversation) {
    $("conversation-title").textContent = "No conversation";
    $("conversation-subtitle").textContent = "Start one on the left";
    $("header-avatar").textContent = "";
    $("composer").hidden = true;
    return;
  }
  $("conversation-title").textContent = title(conversation);
  $("header-avatar").textContent = initials(title(conversation));
  const people = others(conversation);
  if (conversation.info.kind === "direct" && people[0]) {
    $("conversation-subtitle").textContent = state.presence.get(people[0]) || "offline";
  } else {
    const online = people.filter((id) => state.presence.get(id) === "online").length;
    $("conversation-subtitle").textContent = `${conversation.members.length} members${online ? `, ${online} online` : ""}${conversation.info.topic ? ` · ${conversation.info.topic}` : ""}`;
  }
}

function showConnection(connection, transport) {
  const status = $("connection-status");
  status.dataset.state = connection;
  status.dataset.transport = transport || "";
  status.textContent = connection === "live" ? `online${transport === "sse" ? " (SSE)" : ""}` : connection === "offline" ? "reconnecting…" : "connecting…";
}

function showError(text) {
  const banner = $("conversation-error");
  banner.textContent = text;
  banner.hidden = false;
  setTimeout(() => { banner.hidden = true; }, 6_000);
}

function scrollToBottom() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
}

// MARK: Forms

function wireForms() {
  let registering = false;
  $("auth-toggle").addEventListener("click", () => {
    registering = !registering;
    $("auth-display-row").hidden = !registering;
    $("auth-submit").textContent = registering ? "Register" : "Log in";
    $("auth-toggle").textContent = registering ? "Have an account? Log in" : "No account? Register";
    $("auth-password").autocomplete = registering ? "new-password" : "current-password";
  });
  $("auth-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("auth-error").textContent = "";
    const handle = $("auth-handle").value.trim();
    const password = $("auth-password").value;
    try {
      if (registering) await api.register(handle, password, $("auth-display").value.trim());
      await api.login(handle, password);
      $("auth-password").value = "";
      await enter();
    } catch (error) {
      $("auth-error").textContent = error.message;
    }
  });
  $("logout").addEventListener("click", () => api.logout());
  $("new-conversation").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("new-error").textContent = "";
    const handles = $("new-members").value.split(",").map((handle) => handle.trim()).filter(Boolean);
    const titleText = $("new-title").value.trim();
    if (handles.length === 0) return;
    try {
      const members = await Promise.all(handles.map(async (handle) => (await api.get(`/v1/users/${encodeURIComponent(handle)}`)).user));
      for (const member of members) state.users.set(member.id, member);
      const direct = members.length === 1 && !titleText;
      const body = { kind: direct ? "direct" : "group", members: members.map((member) => member.id) };
      if (titleText) body.title = titleText;
      const answer = await api.post("/v1/conversations", body);
      let conversation = state.conversations.get(answer.conversation.id);
      if (!conversation) {
        conversation = makeConversation({ conversation: answer.conversation, role: "owner", readSeq: 0 });
        state.conversations.set(conversation.id, conversation);
        await loadMembers(conversation);
        if (realtime.live) { await subscribe(conversation); await watch(others(conversation)); }
      }
      $("new-members").value = "";
      $("new-title").value = "";
      renderList();
      await open(conversation.id);
    } catch (error) {
      $("new-error").textContent = error.message;
    }
  });
  $("add-member").addEventListener("submit", async (event) => {
    event.preventDefault();
    const conversation = state.conversations.get(state.active);
    const handle = $("add-member-handle").value.trim();
    if (!conversation || !handle) return;
    try {
      const member = (await api.get(`/v1/users/${encodeURIComponent(handle)}`)).user;
      state.users.set(member.id, member);
      await api.post(`/v1/conversations/${conversation.id}/members`, { user: member.id });
      $("add-member-handle").value = "";
    } catch (error) {
      showError(`Add member: ${error.message}`);
    }
  });
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("composer-text").value.trim();
    if (!text || !state.active) return;
    $("composer-text").value = "";
    typingSentAt = Date.now();
    realtime.notify({ type: "typing", conversation: state.active, typing: false });
    queueSend(state.active, text);
  });
  $("composer-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("composer").requestSubmit(); }
  });
  $("composer-text").addEventListener("input", composerTyping);
  $("attach").addEventListener("change", (event) => { attach(event.target.files[0]); event.target.value = ""; });
  $("messages").addEventListener("scroll", scrolled);
  document.addEventListener("visibilitychange", () => {
    const conversation = state.conversations.get(state.active);
    if (conversation && document.visibilityState === "visible") markRead(conversation);
  });
}

boot();
