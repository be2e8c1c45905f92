// "Request a song" on the vote page: search, request, and the status of your request, live.
// Kept apart from vote.html so the page's other parts can change without touching this.
// vote.html gives a <section id="requests"> and fires "party-state" with each new state.
"use strict";
(() => {
  const box = document.getElementById("requests");
  if (!box) return;
  const el = (tag, props, ...kids) => {
    const e = Object.assign(document.createElement(tag), props || {});
    e.append(...kids);
    return e;
  };
  const mmss = (ms) => {
    const s = Math.max(0, Math.round(ms / 1000));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  };
  const style = el("style", { textContent: `
    #requests h2 { font-size: 17px; margin: 0 0 10px; }
    #req-form { display: flex; gap: 8px; }
    #req-q { flex: 1; min-width: 0; font: inherit; padding: 10px; border-radius: 10px; border: 1px solid #444; background: #000; color: #eee; }
    #req-form button, .req-hit button { background: #357; padding: 10px 14px; }
    #req-status { margin: 10px 0 0; min-height: 1.2em; color: #ccc; }
    #req-status.playing { color: #fff; background: #2a7d4f; border-radius: 10px; padding: 10px; font-weight: 700; }
    #req-msg { min-height: 1.2em; margin: 8px 0 0; color: #e9a; font-size: 14px; }
    #req-results, #req-queue { list-style: none; margin: 8px 0 0; padding: 0; }
    .req-hit { display: flex; align-items: center; gap: 10px; padding: 6px 0; border-bottom: 1px solid #2a2a2a; }
    .req-hit img { width: 44px; height: 44px; border-radius: 6px; object-fit: cover; background: #333; }
    .req-hit .t { flex: 1; min-width: 0; overflow-wrap: anywhere; }
    .req-hit small, #req-queue li { color: #999; font-size: 13px; }
  ` });
  const q = el("input", { id: "req-q", type: "search", placeholder: "Song or artist", autocomplete: "off", maxLength: 100 });
  const form = el("form", { id: "req-form" }, q, el("button", { type: "submit", textContent: "Search" }));
  const status = el("p", { id: "req-status", role: "status" });
  const msg = el("p", { id: "req-msg" });
  const results = el("ul", { id: "req-results" });
  const queue = el("ul", { id: "req-queue" });
  box.append(style, el("h2", { textContent: "Request a song" }), form, status, msg, results, queue);

  const WORDS = {
    pending: "waiting for the host to say yes",
    queued: "in the queue",
    played: "played — thanks!",
    refused: "not this time",
    failed: "could not be queued",
    expired: "did not come up in time",
  };

  function show(state) {
    const r = state && state.you && state.you.request;
    if (!r) {
      status.textContent = "";
      status.className = "";
    } else if (r.status === "playing") {
      status.textContent = "Your song is playing now: " + r.title + " — " + r.artist;
      status.className = "playing";
    } else {
      const why = r.reason ? " (" + r.reason + ")" : "";
      status.textContent = "Your request: " + r.title + " — " + r.artist + ": " + (WORDS[r.status] || r.status) + why;
      status.className = r.status;
    }
    const items = (state && state.requests) || [];
    queue.replaceChildren(...items.map((i) =>
      el("li", { textContent: (i.status === "playing" ? "▶ " : "• ") + i.title + " — " + i.artist + " (" + i.status + ")" })));
  }

  async function request(uri, button) {
    button.disabled = true;
    msg.textContent = "…";
    try {
      const r = await fetch("/api/request", { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ uri }) });
      const a = await r.json().catch(() => ({}));
      if (!r.ok) { msg.textContent = a.error || "Could not request (" + r.status + ")"; button.disabled = false; return; }
      msg.textContent = a.request && a.request.status === "refused" ? "" : "Requested!";
      show({ you: { request: a.request }, requests: lastQueue });
    } catch (e) {
      msg.textContent = "No connection to the party — try again";
      button.disabled = false;
    }
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const words = q.value.trim();
    if (!words) return;
    msg.textContent = "Searching…";
    try {
      const r = await fetch("/api/search?q=" + encodeURIComponent(words), { credentials: "same-origin" });
      const a = await r.json().catch(() => ({}));
      if (!r.ok) { msg.textContent = a.error || "Search failed (" + r.status + ")"; return; }
      msg.textContent = a.tracks.length ? "" : "Nothing found — try other words";
      results.replaceChildren(...a.tracks.map((t) => {
        const b = el("button", { type: "button", textContent: "Request" });
        b.dataset.uri = t.uri;
        b.addEventListener("click", () => request(t.uri, b));
        const img = el("img", { alt: "", loading: "lazy" });
        if (t.image) img.src = t.image;
        const meta = [t.artist, t.album, t.duration_ms ? mmss(t.duration_ms) : ""].filter(Boolean).join(" · ");
        return el("li", { className: "req-hit" }, img,
          el("span", { className: "t" }, t.title, el("br"), el("small", { textContent: meta })), b);
      }));
    } catch (e) {
      msg.textContent = "No connection to the party — try again";
    }
  });

  // Requests may be off at this party: an empty query is a 400 when search works, 503 when not.
  fetch("/api/search?q=", { credentials: "same-origin" })
    .then((r) => { if (r.status === 503) box.hidden = true; }).catch(() => {});

  let lastQueue = [];
  window.addEventListener("party-state", (ev) => { lastQueue = ev.detail.requests || []; show(ev.detail); });
  fetch("/api/state", { credentials: "same-origin" }).then((r) => r.ok ? r.json() : null)
    .then((s) => { if (s) { lastQueue = s.requests || []; show(s); } }).catch(() => {});
})();
