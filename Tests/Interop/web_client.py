#!/usr/bin/env python3
"""The web client (Examples/ChatServer/App/Web) in a real headless Chromium, driven by
Selenium through Debian's chromium-driver, against a spawned ChatServer binary.

  web_client.py CHATSERVER_BINARY SCENARIO ARTIFACT_DIRECTORY

Scenarios (WebClientBrowserTests runs each as its own test):
  live      two browsers (alice, bob) register, start a direct conversation and exchange
            messages live; unread count, read receipt, typing, presence, a reaction and an
            attachment (upload, then the download of the same bytes); saves a screenshot
  xss       bodies full of HTML and script show verbatim as text and run nothing
  reload    45 messages: a reload keeps the session (refresh cookie) and the history,
            scrolling up loads the older pages (keyset) without duplicates
  restart   the server stops and starts again on the same port: both pages reconnect, a
            message written while it was down is sent once, messages sent right after
            the restart arrive once
  sse       WebSocket blocked: one page goes through an HTTP proxy (below) that forwards plain
            HTTP and refuses WebSocket (CONNECT tunnels and upgrade requests), as some
            corporate proxies do; the page falls back to Server-Sent Events, exchanges
            messages with a WebSocket page, and resumes over SSE after a server restart. (DevTools' Network.setBlockedURLs does not block
            WebSocket in this Chromium: a probe opened one with every pattern tried.)

  tabs      one browser, two tabs of the same session (one refresh cookie) reloading at the
            same moment, three times: the refreshes must not present the same refresh token
            twice (the server takes that for theft and ends the session), so both tabs stay
            signed in and the session still works

Prints "ok SCENARIO (N s)" and exits 0, or prints what failed (with the pages' console)
and exits 1. Every wait is bounded.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

BINARY, SCENARIO, ARTIFACTS = sys.argv[1:4]
WORK = tempfile.mkdtemp(prefix="web-client-test-")
PASSWORD = "correct horse battery staple"


class Failure(Exception):
    pass


def wait_until(what, predicate, timeout=15.0):
    """Polls `predicate` until it returns a truthy value; raises Failure naming `what`."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as error:  # a stale element, a page between loads
            last_error = error
        time.sleep(0.1)
    raise Failure(f"timed out after {timeout:.0f} s waiting until {what}" + (f" (last error: {last_error})" if last_error else ""))


class Server:
    """A ChatServer process on 127.0.0.1; restartable on the same port and database."""

    def __init__(self):
        self.directory = os.path.join(WORK, "server")
        self.process = None
        self.port = 0
        self.log = open(os.path.join(WORK, "server.log"), "ab")

    def start(self):
        env = dict(os.environ)
        env.update({
            "CHAT_DATABASE": os.path.join(self.directory, "data/chat.sqlite"),
            "CHAT_HOST": "127.0.0.1",
            "CHAT_LOG_LEVEL": "warning",
            "CHAT_INSECURE_COOKIES": "1",
            # No rate limits (two browsers and this script share 127.0.0.1) and the cheapest
            # password hashing; the page under test is the same.
            "CHAT_BENCHMARK_LIMITS": "1",
        })
        self.process = subprocess.Popen(
            [BINARY, "--port", str(self.port)], env=env, stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.monotonic() + 60
        banner = b""
        while b"/v1/realtime" not in banner:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise Failure(f"the server did not start: {banner!r}")
            banner += self.process.stdout.readline()
        base = next(word for word in banner.decode().split() if word.startswith("http://127.0.0.1:"))
        self.port = int(base.rsplit(":", 1)[1].rstrip("/"))

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def call(self, method, path, body=None, token=None):
        """The HTTP API from this script (to seed data and check the server's state)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def login(self, handle):
        status, answer = self.call("POST", "/v1/auth/login", {"handle": handle, "password": PASSWORD})
        if status != 200:
            raise Failure(f"login {handle}: {status} {answer}")
        return answer["accessToken"]


class WebSocketBlockingProxy:
    """An HTTP proxy on 127.0.0.1 that forwards plain HTTP requests (one per connection,
    streamed both ways, so an event stream passes) and refuses every WebSocket: Chromium
    tunnels WebSocket through a proxy with CONNECT, which gets 403, as does any request
    asking to upgrade."""

    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.refused = 0
        self.forwarded = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(client,), daemon=True).start()

    def handle(self, client):
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    client.close()
                    return
                head += chunk
            head, rest = head.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ", 2)
            headers = [line for line in lines[1:] if line]
            upgrade = any(line.lower().startswith("upgrade:") and "websocket" in line.lower() for line in headers)
            if method == "CONNECT" or upgrade or not target.startswith("http://"):
                self.refused += 1
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                client.close()
                return
            authority, _, path = target[len("http://"):].partition("/")
            host, _, port = authority.partition(":")
            upstream = socket.create_connection((host, int(port or 80)), timeout=10)
            upstream.settimeout(None)
            kept = [line for line in headers if line.split(":", 1)[0].strip().lower() not in ("connection", "proxy-connection", "keep-alive")]
            request = f"{method} /{path} {version}\r\n" + "".join(f"{line}\r\n" for line in kept) + "Connection: close\r\n\r\n"
            upstream.sendall(request.encode("latin-1") + rest)
            self.forwarded += 1
            threading.Thread(target=self.pipe, args=(client, upstream), daemon=True).start()
            self.pipe(upstream, client)
        except OSError:
            client.close()

    @staticmethod
    def pipe(source, destination):
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                destination.sendall(chunk)
        except OSError:
            pass
        for end in (source, destination):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def close(self):
        self.listener.close()


class Page:
    """One headless Chromium (its own profile: its own cookies) with the web client open."""

    def __init__(self, server, name, proxy=None):
        self.server = server
        self.name = name
        self.downloads = os.path.join(WORK, f"downloads-{name}")
        os.makedirs(self.downloads, exist_ok=True)
        options = Options()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for argument in [
            "--headless=new", "--disable-gpu", "--window-size=1200,780", "--disable-dev-shm-usage",
            f"--user-data-dir={os.path.join(WORK, 'profile-' + name)}", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows", "--lang=en-US",
        ]:
            options.add_argument(argument)
        if proxy:
            # Through the proxy, loopback included (Chromium bypasses proxies for it by default).
            options.add_argument(f"--proxy-server=http://127.0.0.1:{proxy.port}")
            options.add_argument("--proxy-bypass-list=<-loopback>")
        if os.geteuid() == 0:
            options.add_argument("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(20)
        self.driver.set_script_timeout(20)
        self.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": self.downloads})

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def visit(self, suffix=""):
        self.driver.get(self.server.base + "/" + suffix)

    def register(self, handle, display):
        self.visit()
        wait_until(f"{self.name} sees the login form", lambda: self.driver.find_element(By.ID, "auth-form").is_displayed())
        self.driver.find_element(By.ID, "auth-toggle").click()
        self.driver.find_element(By.ID, "auth-handle").send_keys(handle)
        self.driver.find_element(By.ID, "auth-password").send_keys(PASSWORD)
        self.driver.find_element(By.ID, "auth-display").send_keys(display)
        self.driver.find_element(By.ID, "auth-submit").click()
        self.wait_live()

    def wait_live(self, timeout=20):
        wait_until(f"{self.name} is connected", lambda: self.js(
            "return document.getElementById('connection-status').dataset.state === 'live'"), timeout)

    @property
    def transport(self):
        return self.js("return document.getElementById('connection-status').dataset.transport")

    def start_conversation(self, handles, title=""):
        self.driver.find_element(By.ID, "new-members").send_keys(handles)
        if title:
            self.driver.find_element(By.ID, "new-title").send_keys(title)
        self.driver.find_element(By.ID, "new-conversation").submit()
        return wait_until(f"{self.name} opened the new conversation", lambda: self.js(
            "return !document.getElementById('composer').hidden && location.hash.slice(1)"))

    def open(self, conversation):
        wait_until(f"{self.name} lists the conversation", lambda: self.js(
            "return document.querySelector(`#conversation-list [data-id='${arguments[0]}']`) !== null", conversation))
        self.js("document.querySelector(`#conversation-list [data-id='${arguments[0]}']`).click()", conversation)
        wait_until(f"{self.name} opened it", lambda: self.js("return location.hash.slice(1) === arguments[0]", conversation))

    def send(self, text):
        box = self.driver.find_element(By.ID, "composer-text")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def texts(self):
        """The text of every stored message shown, in order (pending ones excluded)."""
        return self.js("return [...document.querySelectorAll('#message-list .message .text')].map(n => n.textContent)")

    def pending(self):
        return self.js("return document.querySelectorAll('#pending-list .message').length")

    def wait_text(self, text, timeout=15):
        wait_until(f"{self.name} shows {text!r}", lambda: text in self.texts(), timeout)

    def console(self):
        try:
            return [f"{entry['level']} {entry['message']}" for entry in self.driver.get_log("browser")]
        except Exception:
            return []

    def close(self):
        try:
            self.driver.quit()
        except Exception:
            pass


def expect(condition, what):
    if not condition:
        raise Failure(what)


def exactly_once(page, texts):
    shown = page.texts()
    for text in texts:
        expect(shown.count(text) == 1, f"{page.name} shows {text!r} {shown.count(text)} times: {shown}")


def pair(server, first_name="alice", second_name="bob", proxy=None):
    """Two registered pages in one direct conversation (the second one through `proxy` when
    given); returns (alice, bob, conversation)."""
    alice = Page(server, first_name)
    bob = Page(server, second_name, proxy=proxy)
    pages.extend([alice, bob])
    alice.register(first_name, first_name.capitalize())
    bob.register(second_name, second_name.capitalize())
    conversation = alice.start_conversation(second_name)
    bob.open(conversation)
    return alice, bob, conversation


# MARK: Scenarios

def live(server):
    alice, bob = Page(server, "alice"), Page(server, "bob")
    pages.extend([alice, bob])
    alice.register("alice", "Alice Liddell")
    bob.register("bob", "Bob Builder")
    conversation = alice.start_conversation("bob")
    alice.send("Hi Bob! Lunch at noon?")
    # Bob's list learns of the conversation from his feed, with one unread message.
    wait_until("bob's list shows 1 unread", lambda: bob.js(
        "return document.querySelector(`#conversation-list [data-id='${arguments[0]}'] .unread`)?.dataset.unread === '1'", conversation))
    bob.open(conversation)
    bob.wait_text("Hi Bob! Lunch at noon?")
    expect(bob.js("return document.querySelector('#conversation-list .unread') === null"), "the unread badge stays after opening")
    wait_until("alice sees that bob read it", lambda: "Seen by Bob Builder" in alice.js(
        "return document.getElementById('message-list').textContent"))
    # Presence: each sees the other online.
    wait_until("alice sees bob online", lambda: alice.js("return document.getElementById('conversation-subtitle').textContent") == "online")
    # Typing.
    bob.driver.find_element(By.ID, "composer-text").send_keys("Sure")
    wait_until("alice sees bob typing", lambda: "Bob Builder is typing" in alice.js("return document.getElementById('typing').textContent"))
    bob.driver.find_element(By.ID, "composer-text").send_keys(", see you there 🙂", Keys.ENTER)
    alice.wait_text("Sure, see you there 🙂")
    # A reaction from bob on alice's message reaches alice.
    bob.js("document.querySelector(`#message-list .message:not(.mine) .pick[data-emoji='👍']`).click()")
    wait_until("alice sees bob's reaction", lambda: alice.js(
        "return [...document.querySelectorAll('#message-list .message.mine .reaction')].map(n => n.textContent).includes('👍 1')"))
    # An attachment: alice uploads, bob downloads the same bytes.
    path = os.path.join(WORK, "notes.txt")
    content = b"minutes of the meeting\n" * 40
    with open(path, "wb") as file:
        file.write(content)
    alice.driver.find_element(By.ID, "attach").send_keys(path)
    wait_until("bob sees the attachment", lambda: bob.js(
        "return [...document.querySelectorAll('#message-list .attachment')].some(n => n.textContent.includes('notes.txt'))"))
    bob.js("[...document.querySelectorAll('#message-list .attachment')].find(n => n.textContent.includes('notes.txt')).click()")
    downloaded = os.path.join(bob.downloads, "notes.txt")
    wait_until("bob's download completes", lambda: os.path.exists(downloaded) and open(downloaded, "rb").read() == content)
    alice.send("Great, see you!")
    bob.wait_text("Great, see you!")
    exactly_once(bob, ["Hi Bob! Lunch at noon?", "Sure, see you there 🙂", "Great, see you!"])
    exactly_once(alice, ["Hi Bob! Lunch at noon?", "Sure, see you there 🙂", "Great, see you!"])
    os.makedirs(ARTIFACTS, exist_ok=True)
    time.sleep(0.3)
    alice.driver.save_screenshot(os.path.join(ARTIFACTS, "web-client.png"))


PAYLOADS = [
    "<img src=x onerror=window.__pwned=1>",
    "<script>window.__pwned=1</script>",
    "<b>bold?</b> <a href=\"javascript:window.__pwned=1\">link</a> &lt;escaped&gt; \"quotes\" 'single'",
    "<svg onload=window.__pwned=1></svg><iframe srcdoc=\"<script>parent.__pwned=1</script>\"></iframe>",
]


def xss(server):
    alice, bob, _ = pair(server)
    for payload in PAYLOADS:
        alice.send(payload)
    for payload in PAYLOADS:
        bob.wait_text(payload)
    for page in (alice, bob):
        exactly_once(page, PAYLOADS)
        expect(page.js("return typeof window.__pwned") == "undefined", f"a payload ran in {page.name}'s page")
        expect(page.js("return document.querySelectorAll('#messages img, #messages script, #messages svg, #messages iframe, #messages b, #messages a').length") == 0,
               f"{page.name}'s page made elements from a message body")
    # Also after a reload (history rendering, not only live events).
    bob.driver.refresh()
    bob.wait_live()
    for payload in PAYLOADS:
        bob.wait_text(payload)
    expect(bob.js("return typeof window.__pwned") == "undefined", "a payload ran after the reload")


def reload(server):
    alice, bob, conversation = pair(server)
    token = server.login("alice")
    bodies = [f"message {index:02d}" for index in range(1, 46)]
    for index, body in enumerate(bodies):
        status, answer = server.call("POST", f"/v1/conversations/{conversation}/messages",
                                     {"clientMessageId": f"seed-{index}", "body": body}, token)
        expect(status == 201, f"seeding: {status} {answer}")
    bob.wait_text("message 45")
    bob.driver.refresh()
    bob.wait_live()
    expect(bob.js("return document.getElementById('auth-view').hidden"), "the reload asked bob to log in again")
    bob.wait_text("message 45")
    shown = bob.texts()
    expect(len(shown) == 30 and shown[-1] == "message 45", f"the first page after the reload: {len(shown)} messages, last {shown[-1:]}")
    # Scrolling up loads older pages (keyset: before = the oldest seq shown) until the beginning.
    def scroll_up():
        bob.js("const box = document.getElementById('messages'); box.scrollTop = 0; box.dispatchEvent(new Event('scroll'));")
        return len(bob.texts()) == 45
    wait_until("bob scrolled back to the first message", scroll_up, timeout=20)
    expect(bob.texts() == bodies, f"history after scrolling: {bob.texts()}")
    wait_until("the beginning is shown", lambda: bob.js("return document.getElementById('history-status').textContent") == "Beginning of the conversation")
    alice.send("after the reload")
    bob.wait_text("after the reload")
    exactly_once(bob, bodies + ["after the reload"])


def restart(server):
    alice, bob, conversation = pair(server)
    alice.send("before the restart")
    bob.wait_text("before the restart")
    server.stop()
    wait_until("alice notices", lambda: alice.js("return document.getElementById('connection-status').dataset.state") != "live")
    alice.send("written while the server was down")
    wait_until("the message waits in alice's outbox", lambda: alice.pending() == 1)
    server.start()
    # Sent right after the restart, before the pages reconnect: they get it by resuming.
    token = server.login("bob")
    status, _ = server.call("POST", f"/v1/conversations/{conversation}/messages",
                            {"clientMessageId": "after-restart-http", "body": "sent over HTTP right after the restart"}, token)
    expect(status == 201, f"HTTP send after the restart: {status}")
    alice.wait_live(timeout=30)
    bob.wait_live(timeout=30)
    for text in ["written while the server was down", "sent over HTTP right after the restart"]:
        bob.wait_text(text)
        alice.wait_text(text)
    bob.send("after the restart, live")
    alice.wait_text("after the restart, live")
    wait_until("alice's outbox is empty", lambda: alice.pending() == 0)
    everything = ["before the restart", "written while the server was down", "sent over HTTP right after the restart", "after the restart, live"]
    time.sleep(1.0)  # a late duplicate would show up now
    exactly_once(alice, everything)
    exactly_once(bob, everything)
    # The server stored the message written during the restart once.
    status, page = server.call("GET", f"/v1/conversations/{conversation}/messages?limit=50", token=token)
    stored = [message.get("text") for message in page["messages"]]
    expect(stored.count("written while the server was down") == 1, f"stored: {stored}")


def sse(server):
    proxy = WebSocketBlockingProxy()
    alice, bob, conversation = pair(server, proxy=proxy)
    expect(proxy.forwarded > 0 and proxy.refused > 0, f"the proxy forwarded {proxy.forwarded} and refused {proxy.refused} requests")
    expect(alice.transport == "websocket", f"alice's transport: {alice.transport}")
    expect(bob.transport == "sse", f"with WebSocket blocked bob's transport is {bob.transport!r}, not sse")
    # The block is real: a WebSocket from bob's page cannot open.
    opened = bob.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const socket = new WebSocket(`ws://${location.host}/v1/realtime`);
        socket.onopen = () => { socket.close(); done('opened'); };
        socket.onerror = () => done('failed');
        setTimeout(() => done('timeout'), 5000);""")
    expect(opened == "failed", f"a WebSocket in the blocked page: {opened}")
    alice.send("hello over WebSocket")
    bob.wait_text("hello over WebSocket")
    bob.send("hello over SSE")
    alice.wait_text("hello over SSE")
    bob.driver.find_element(By.ID, "composer-text").send_keys("typing over SSE")
    wait_until("alice sees bob typing over SSE", lambda: "is typing" in alice.js("return document.getElementById('typing').textContent"))
    # A server restart: the SSE page reconnects (over SSE again) and resumes by seq.
    server.stop()
    wait_until("bob notices the restart", lambda: bob.js("return document.getElementById('connection-status').dataset.state") != "live")
    bob.driver.find_element(By.ID, "composer-text").send_keys(Keys.CONTROL, "a")
    bob.driver.find_element(By.ID, "composer-text").send_keys(Keys.DELETE)
    bob.send("written over SSE while the server was down")
    server.start()
    bob.wait_live(timeout=30)
    alice.wait_live(timeout=30)
    expect(bob.transport == "sse", f"after the restart bob's transport is {bob.transport!r}")
    alice.send("after the restart, to the SSE page")
    bob.wait_text("after the restart, to the SSE page")
    alice.wait_text("written over SSE while the server was down")
    everything = ["hello over WebSocket", "hello over SSE", "written over SSE while the server was down", "after the restart, to the SSE page"]
    time.sleep(1.0)  # a late duplicate would show up now
    exactly_once(bob, everything)
    exactly_once(alice, everything)


def tabs(server):
    alice = Page(server, "alice")
    pages.append(alice)
    alice.register("alice", "Alice")
    first = alice.driver.current_window_handle
    alice.driver.switch_to.new_window("tab")
    second = alice.driver.current_window_handle
    alice.visit()
    alice.wait_live()
    for round in range(3):
        # Both tabs reload at the same instant: each page's start refreshes with the cookie.
        at = alice.js("return Date.now()") + 1500
        for handle in (first, second):
            alice.driver.switch_to.window(handle)
            alice.js("window.__beforeReload = true; setTimeout(() => location.reload(), arguments[0] - Date.now())", at)
        time.sleep(2.0)
        for handle in (first, second):
            alice.driver.switch_to.window(handle)
            wait_until(f"tab {handle[:6]} reloaded (round {round + 1})", lambda: alice.js(
                "return document.readyState === 'complete' && window.__beforeReload === undefined"))
            try:
                alice.wait_live(timeout=15)
            except Failure:
                signed_out = alice.js("return !document.getElementById('auth-view').hidden")
                raise Failure(f"round {round + 1}: a tab is not live after the simultaneous reloads"
                              + (" and shows the login form (the session was ended)" if signed_out else ""))
    # The session still works in both tabs: a conversation started in one shows in the other.
    bob = Page(server, "bob")
    pages.append(bob)
    bob.register("bob", "Bob")
    alice.driver.switch_to.window(first)
    conversation = alice.start_conversation("bob")
    alice.send("from the first tab")
    alice.driver.switch_to.window(second)
    alice.open(conversation)
    alice.wait_text("from the first tab")


SCENARIOS = {"live": live, "xss": xss, "reload": reload, "restart": restart, "sse": sse, "tabs": tabs}
pages = []


def main():
    # SIGTERM (the Swift test's time limit) runs the cleanup below: browsers and server stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    started = time.monotonic()
    server = Server()
    code = 0
    try:
        server.start()
        SCENARIOS[SCENARIO](server)
        print(f"ok {SCENARIO} ({time.monotonic() - started:.1f} s)")
    except Exception as error:
        code = 1
        print(f"FAILED {SCENARIO}: {type(error).__name__}: {error}")
        for page in pages:
            try:
                os.makedirs(ARTIFACTS, exist_ok=True)
                page.driver.save_screenshot(os.path.join(ARTIFACTS, f"failed-{SCENARIO}-{page.name}.png"))
            except Exception:
                pass
            for line in page.console()[-30:]:
                print(f"  [{page.name} console] {line}")
    finally:
        for page in pages:
            page.close()
        server.stop()
        try:
            server.log.close()
            with open(os.path.join(WORK, "server.log"), "rb") as log:
                tail = log.read()[-3000:].decode(errors="replace")
            if code and tail:
                print("  [server log]\n" + tail)
        except OSError:
            pass
        shutil.rmtree(WORK, ignore_errors=True)
    sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
