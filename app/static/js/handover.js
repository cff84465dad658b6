/* Nachtwacht handover pages: acknowledge pickup, print, news of urgent notes and withdrawals.
 * No inline handlers (CSP script-src 'self'); builds DOM with textContent only. */
(function () {
  "use strict";

  const POLL_MS = 120000;

  /** Acknowledge a packet through the API (session + X-CSRFToken), then show who and when. */
  async function acknowledge(button) {
    const NW = window.NW;
    button.disabled = true;
    try {
      const packet = await NW.api("POST", button.dataset.ack);
      const status = button.closest("[data-packet-id]").querySelector(".ack-status");
      const text = `${NW.t("acknowledged")}: ${packet.acknowledged_by || "—"} · ` +
        NW.fmtTime(packet.acknowledged_at);
      status.replaceChildren(NW.el("span", { role: "status", text: text }));
      button.remove();
    } catch (err) {
      button.disabled = false;
      window.alert(NW.t("ack_failed", { reason: err.message }));
    }
  }

  /** Show the "new urgent notes" banner when a note id is not on the page yet. */
  function announce(ids) {
    const shown = new Set(
      Array.from(document.querySelectorAll("#urgent [data-note-id]"), (n) => n.dataset.noteId));
    if (ids.some((id) => !shown.has(String(id)))) {
      const news = document.getElementById("urgent-news");
      if (news) news.hidden = false;
    }
  }

  /** A correction took notes away from this organisation: blank them at once, then reload
   * (the server shows them as withdrawn, or lists them no more). */
  function withdraw(event) {
    const ids = new Set(((event && event.note_ids) || []).map(String));
    document.querySelectorAll("[data-note-id]").forEach((note) => {
      if (ids.has(note.dataset.noteId)) note.replaceChildren();
    });
    window.location.reload();
  }

  /** Poll the urgent feed when the Socket.IO client is not loaded. */
  function pollUrgent(section) {
    window.setInterval(async () => {
      try {
        const list = await window.NW.api("GET", section.dataset.feed);
        announce(list.items.map((n) => n.id));
      } catch (err) { /* offline or logged out: the next poll tries again */ }
    }, POLL_MS);
  }

  /** Live news over Socket.IO: urgent notes (list page) and withdrawals (list and packet). */
  function watch(urgent) {
    if (typeof window.io !== "function") {
      if (urgent) pollUrgent(urgent);
      return;
    }
    const socket = window.io("/console", { transports: ["websocket", "polling"] });
    if (urgent) {
      socket.on("handover.note", (event) => { if (event && event.urgent) announce([event.id]); });
    }
    socket.on("handover.withdrawn", withdraw);
  }

  document.addEventListener("click", (event) => {
    const ack = event.target.closest("button[data-ack]");
    if (ack) acknowledge(ack);
    if (event.target.closest("button[data-print]")) window.print();
  });

  const urgent = document.getElementById("urgent");
  const feed = urgent && urgent.dataset.feed ? urgent : null;
  if (window.NW && (feed || document.querySelector("section[data-packet-id]"))) watch(feed);
})();
