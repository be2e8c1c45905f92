// Shared by the vote page and the host page (classic scripts share their top-level names):
// the last state and when it came, times in m:ss, the vote in words, and the connection —
// live, or frozen and greyed under a banner while the party cannot be reached.
"use strict";
const $ = (id) => document.getElementById(id);
let st = null, recvAt = 0, online = false, frozenAgo = 0;

function mmss(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}

function voteState(v, np, left) {
  if (!np) return "Nothing playing";
  if (v.paused) return "Voting is paused";
  if (v.keep) return "Protected: " + (v.keep_reason || "kept") + " — no skipping";
  if (v.window === "won") return "The party skipped it!";
  if (v.window === "closed") return "Skip vote closed for this track";
  if (v.window === "open") return left == null ? "Skip vote open" : "Skip vote open — " + Math.ceil(left / 1000) + " s left";
  return "…";
}

// How long ago the state came; while disconnected, frozen at the moment the party was lost.
function stateAge() { return online ? Date.now() - recvAt : frozenAgo; }

function setOnline(on) {
  if (online && !on) frozenAgo = Date.now() - recvAt;
  online = on;
  document.body.classList.toggle("disconnected", !on);
  $("live").textContent = on ? "live" : "reconnecting…";
  $("live").className = on ? "" : "off";
  // An old failure message must not outlive the outage.
  if (on && /No connection/.test($("msg").textContent)) $("msg").textContent = "";
}

// The now-playing card and the vote counts both pages show. While disconnected the last state
// is frozen: no countdown or progress runs on. Returns what the page's own parts need.
function renderParty() {
  const ago = stateAge(), np = st.now_playing, v = st.votes;
  $("party").textContent = st.party || "party";
  $("title").textContent = np ? np.title : "Nothing playing";
  $("artist").textContent = np ? [np.artist, np.album].filter(Boolean).join(" · ") : "";
  let pos = np ? np.position_ms + (np.state === "playing" ? ago : 0) : 0;
  if (np && np.duration_ms) pos = Math.min(pos, np.duration_ms);
  $("pos").textContent = np ? mmss(pos) : "";
  $("dur").textContent = np && np.duration_ms ? mmss(np.duration_ms) : "";
  $("progress").style.width = np && np.duration_ms ? (100 * pos / np.duration_ms) + "%" : "0";
  const left = v.window_ms_left == null ? null : Math.max(0, v.window_ms_left - ago);
  $("vstate").textContent = voteState(v, np, left);
  $("likes").textContent = v.likes;
  $("skips").textContent = v.skips;
  $("needed").textContent = v.needed;
  return { np, v };
}
