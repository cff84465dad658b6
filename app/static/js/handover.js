/* Nachtwacht handover pages: acknowledge pickup, print, and news of urgent notes.
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

  /** Urgent notes: live over Socket.IO when its client is loaded, else a slow poll. */
  function watchUrgent(section) {
    if (typeof window.io === "function") {
      const socket = window.io("/console", { transports: ["websocket", "polling"] });
      socket.on("handover.note", (event) => { if (event && event.urgent) announce([event.id]); });
      return;
    }
    window.setInterval(async () => {
      try {
        const list = await window.NW.api("GET", section.dataset.feed);
        announce(list.items.map((n) => n.id));
      } catch (err) { /* offline or logged out: the next poll tries again */ }
    }, POLL_MS);
  }

  document.addEventListener("click", (event) => {
    const ack = event.target.closest("button[data-ack]");
    if (ack) acknowledge(ack);
    if (event.target.closest("button[data-print]")) window.print();
  });

  const urgent = document.getElementById("urgent");
  if (urgent && urgent.dataset.feed && window.NW) watchUrgent(urgent);
})();
