/* Nachtwacht console: the live queue and unit board over Socket.IO (namespace /console).
 * On every (re)connect the page reloads GET /api/v1/board, holding back events that arrive
 * meanwhile and replaying them after the snapshot, so a dropped connection heals itself.
 * Keyboard: Alt+N new call (the intake panel), Alt+Q queue, arrows + Enter in the queue,
 * Alt+A assign, Alt+T SMS, Alt+C close, Alt+P priority, Alt+O note, Alt+L alarms,
 * Alt+M alarm sound, Esc back to the queue, ? help. */
(function () {
  "use strict";
  const { api, badge, el, label, PRIORITIES, t } = window.NW;
  const C = (window.NWConsole = window.NWConsole || {});
  const $ = (id) => document.getElementById(id);
  const root = $("console");
  const queueBody = $("queue-body");
  const state = (C.state = { incidents: new Map(), units: new Map() });
  let selected = null;
  let skew = 0; // server clock minus ours, from the snapshot's as_of
  C.now = () => Date.now() + skew; // the server's "now", for ageing unit positions
  let syncing = false;
  let syncGeneration = 0;
  let held = [];
  let offlineSince = null;
  const freshUntil = new Map(); // new calls stay highlighted for a few seconds
  // Seconds without a unit before a row is late, per priority (LATE_AFTER_S).
  let lateAfter = JSON.parse(root.dataset.lateAfter || "{}");

  /** Say something to screen-reader users (and, for errors, on the page). */
  C.announce = function (text, visible) {
    const node = $("announcer");
    node.textContent = "";
    window.setTimeout(() => (node.textContent = text), 30);
    if (visible) {
      const status = $("detail-status");
      status.className = "form-status status-warn";
      status.textContent = text;
      $("detail-empty").textContent = text;
    }
  };

  /* ---- time --------------------------------------------------------------------------- */

  function elapsed(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
  }

  function tick() {
    const now = Date.now() + skew;
    $("clock").textContent = new Date(now).toLocaleTimeString("nl-BE", { timeZone: "Europe/Brussels" });
    for (const cell of queueBody.querySelectorAll("td.timer")) {
      if (!cell.dataset.since) continue;
      const ms = now - Date.parse(cell.dataset.since);
      cell.textContent = elapsed(ms);
      // Late after LATE_AFTER_S for the row's priority (P1 60 s: NFPA 1225's 90 % within 60 s).
      const limit = lateAfter[cell.dataset.priority];
      cell.classList.toggle("late", cell.dataset.late === "1" && limit !== undefined && ms > limit * 1000);
    }
  }

  /* ---- queue -------------------------------------------------------------------------- */

  /** The units on an incident now (from the unit board). */
  function unitsOn(incidentId) {
    return [...state.units.values()].filter((u) => u.current_incident === incidentId &&
      !["available", "off_duty"].includes(u.status));
  }

  function waiting(i) {
    return i.status !== "closed" && i.status !== "cleared" && !unitsOn(i.id).length;
  }

  /** Most urgent first; within a priority the ones still without a unit, then the oldest. */
  function ordered() {
    const rank = (p) => (PRIORITIES.includes(p) ? PRIORITIES.indexOf(p) : 9);
    return [...state.incidents.values()].sort((a, b) =>
      rank(a.priority) - rank(b.priority) || (waiting(b) ? 1 : 0) - (waiting(a) ? 1 : 0) ||
      Date.parse(a.received_at) - Date.parse(b.received_at) || a.id - b.id);
  }

  function unitCell(i) {
    const units = unitsOn(i.id);
    if (!units.length) {
      return el("td", { class: waiting(i) ? "units-on none" : "units-on", text: waiting(i) ? t("no_unit_yet") : "—" });
    }
    return el("td", { class: "units-on" }, ...units.map((u) => el("span", {
      class: `unit-chip status-${u.status}`, title: label("unit", u.status),
      text: u.status === "assigned" ? `${u.call_sign} ?` : u.call_sign,
      "aria-label": `${u.call_sign}: ${u.status === "assigned" ? t("not_acked") : label("unit", u.status)}`,
    })));
  }

  function queueRow(i) {
    const unassigned = waiting(i);
    const fresh = (freshUntil.get(i.id) || 0) > Date.now();
    const classes = [i.id === selected ? "selected" : "", fresh ? "fresh" : "",
      unassigned ? "waiting" : "", i.restricted ? "restricted" : ""];
    const limit = lateAfter[i.priority];
    return el("tr", { tabindex: "-1", class: classes.join(" ").trim() || null,
      "aria-current": i.id === selected ? "true" : null,
      dataset: { id: String(i.id), reference: i.reference, priority: i.priority, status: i.status } },
      el("td", {}, badge(i.priority)),
      el("td", {}, el("a", { href: `/incidents/${i.id}`, tabindex: "-1", text: i.reference }),
        i.exercise ? el("span", { class: "exercise-chip", text: t("exercise") }) : ""),
      el("td", { class: "addr", text: i.sms_address || "—", title: i.sms_address || null }),
      el("td", { text: i.district || "—" }),
      unitCell(i),
      el("td", { class: `incident-status-${i.status}`, text: label("status", i.status) }),
      el("td", { class: "timer since-call", title: limit ? t("late_title",
        { min: Math.round(limit / 60), priority: i.priority }) : null,
      dataset: { since: i.received_at, late: unassigned ? "1" : "0", priority: i.priority } }),
      el("td", { class: "timer since-dispatch", dataset: { since: i.dispatched_at || "" },
        text: i.dispatched_at ? "" : "—" }));
  }

  function rows() {
    return [...queueBody.querySelectorAll("tr[data-id]")];
  }

  /** The row that Tab lands on: the selected one, else the first. */
  function setRoving(target) {
    const all = rows();
    const active = target || all.find((r) => Number(r.dataset.id) === selected) || all[0];
    all.forEach((r) => (r.tabIndex = r === active ? 0 : -1));
    return active;
  }

  function renderQueue() {
    const active = document.activeElement;
    const focusedId = active && queueBody.contains(active) ? active.closest("tr").dataset.id : null;
    for (const [id, until] of freshUntil) if (until < Date.now()) freshUntil.delete(id);
    const list = ordered();
    const nodes = list.map(queueRow);
    if (!nodes.length) {
      nodes.push(el("tr", { class: "empty" }, el("td", { colspan: "8", text: t("no_incidents") })));
    }
    queueBody.replaceChildren(...nodes);
    const focused = focusedId && queueBody.querySelector(`tr[data-id="${focusedId}"]`);
    setRoving(focused || null);
    if (focused) focused.focus({ preventScroll: true });
    $("queue-count").textContent = String(list.length);
    tick();
  }

  /** Mark a queue row as the open incident. */
  C.selectRow = function (id) {
    selected = id;
    for (const row of rows()) {
      const on = Number(row.dataset.id) === id;
      row.classList.toggle("selected", on);
      if (on) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
    setRoving(null);
  };

  function focusQueue() {
    const row = setRoving(null);
    if (row) row.focus();
    else queueBody.closest("table").focus();
  }

  function onQueueKey(event) {
    const row = event.target.closest("tr[data-id]");
    if (!row || event.altKey || event.ctrlKey || event.metaKey) return;
    const all = rows();
    const index = all.indexOf(row);
    const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: all.length - 1,
      PageDown: index + 10, PageUp: index - 10 };
    if (event.key in moves) {
      event.preventDefault();
      const next = all[Math.max(0, Math.min(all.length - 1, moves[event.key]))];
      setRoving(next);
      next.focus();
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      C.detail.open(Number(row.dataset.id), { focus: false });
    }
  }

  function onQueueClick(event) {
    if (event.target.closest("a")) return; // the reference opens the incident page
    const row = event.target.closest("tr[data-id]");
    if (!row) return;
    row.focus();
    C.detail.open(Number(row.dataset.id), { focus: false });
  }

  /* ---- units -------------------------------------------------------------------------- */

  function unitRow(u) {
    const incident = u.current_incident ? state.incidents.get(u.current_incident) : null;
    const where = u.current_incident
      ? el("a", { href: `/incidents/${u.current_incident}`,
        text: incident ? incident.reference : `#${u.current_incident}` })
      : "—";
    return el("tr", { dataset: { unitId: String(u.id), status: u.status, callSign: u.call_sign } },
      el("th", { scope: "row" }, el("span", { class: "call-sign", text: u.call_sign }), " ",
        positionNote(u), " ",
        el("span", { class: "skills" }, (u.skills || []).map((s) => label("skill", s)).join(", "),
          el("span", { class: "langs", text: (u.languages || []).join(", ") }))),
      el("td", {}, el("span", { class: `status status-${u.status}`, text: label("unit", u.status) })),
      el("td", {}, where),
      el("td", {}, unitButton(u)));
  }

  /** A stale position, marked on the unit's row (a shown position only: a hidden one is not). */
  function positionNote(u) {
    const stale = u.lat !== null && u.lat !== undefined && C.positions.age(u).stale;
    return el("span", { class: "pos-note", text: stale ? C.positions.text(u) : null });
  }

  /** Re-mark one unit's row in place (a focused button in the board keeps its focus). */
  function markRow(unit) {
    const note = $("units-body").querySelector(`tr[data-unit-id="${unit.id}"] .pos-note`);
    if (note) note.replaceWith(positionNote(unit));
  }

  /** Positions age without events: re-mark the rows and the map's pins. */
  function agePositions() {
    state.units.forEach(markRow);
    C.map.agePositions();
  }

  function unitButton(u) {
    const button = el("button", { type: "button", class: "secondary small",
      text: t("set_status"), "aria-label": `${t("set_status")} ${u.call_sign}` });
    button.addEventListener("click", () => C.actions.unitStatus(u));
    return button;
  }

  function renderUnits() {
    const list = [...state.units.values()].sort((a, b) => a.call_sign.localeCompare(b.call_sign));
    const nodes = list.map(unitRow);
    if (!nodes.length) {
      nodes.push(el("tr", { class: "empty" }, el("td", { colspan: "4", text: t("no_units") })));
    }
    $("units-body").replaceChildren(...nodes);
    const free = list.filter((u) => u.status === "available").length;
    $("units-available").textContent = t("units_available", { n: free, total: list.length });
  }

  /* ---- events ------------------------------------------------------------------------- */

  function reference(incidentId) {
    const incident = state.incidents.get(incidentId);
    return incident ? incident.reference : incidentId ? `#${incidentId}` : "—";
  }

  function callSign(unitId, fallback) {
    const unit = state.units.get(unitId);
    return unit ? unit.call_sign : fallback || (unitId ? `#${unitId}` : "?");
  }

  function upsertIncident(summary, isNew) {
    if (isNew) freshUntil.set(summary.id, Date.now() + 6000);
    if (summary.status === "closed") {
      state.incidents.delete(summary.id);
      C.map.removeIncident(summary.id);
    } else {
      state.incidents.set(summary.id, summary);
      C.map.upsertIncident(summary);
    }
    renderQueue();
    renderUnits(); // unit rows show incident references
  }

  function escalationAlarm(p) {
    const vars = {
      unit: p.call_sign || callSign(p.unit_id),
      reference: p.reference || reference(p.incident_id),
      reason: p.reason ? label("reason", p.reason) : "",
      organisation: p.organisation || "",
      date: p.handover_date || "",
      kind: p.kind,
      account: p.username || "",
      admin: p.admin || "",
      action: p.action || "",
      failures: p.failures || "",
    };
    const key = `alarm_${p.kind}`;
    const title = t(key, vars) === key ? t("alarm_other", vars) : t(key, vars);
    // Supervisors' account alerts (accounts domain): a note on this console, no acknowledgement.
    C.alarms.notice({ kind: p.kind, title, incidentId: p.incident_id, reference: vars.reference,
      sound: true });
  }

  const handlers = {
    "incident.created": (p) => {
      upsertIncident(p, true);
      C.announce(t("new_incident", { reference: p.reference, priority: p.priority }));
      if (p.priority === "P1") C.alarms.sound("p1"); // a P1 from the console or the API
    },
    "incident.updated": (p) => {
      upsertIncident(p, false);
      C.detail.touch(p.id, ["detail"]);
    },
    "assessment.scored": (p) => {
      const incident = state.incidents.get(p.incident_id);
      if (incident && p.incident_priority) upsertIncident({ ...incident, priority: p.incident_priority });
      C.detail.touch(p.incident_id, ["detail"]);
    },
    "assignment.created": (p) => C.detail.touch(p.incident_id, ["assignments", "messages", "detail"]),
    "unit.status": (p) => {
      const unit = state.units.get(p.id) || { id: p.id, call_sign: p.call_sign, skills: [], languages: [] };
      const next = { ...unit, status: p.status, lat: p.lat, lon: p.lon,
        position_at: p.position_at === undefined ? unit.position_at : p.position_at,
        current_incident: p.status === "available" || p.status === "off_duty" ? null
          : p.incident_id || unit.current_incident };
      state.units.set(p.id, next);
      renderUnits();
      C.map.upsertUnit(next);
      C.detail.touch(null, ["recs"]); // availability changes every ranking
      const incidentId = p.incident_id || unit.current_incident;
      if (incidentId) C.detail.touch(incidentId, ["assignments", "detail"]);
    },
    "unit.position": (p) => {
      const unit = state.units.get(p.id);
      if (!unit) return; // a snapshot brings it
      const next = { ...unit, lat: p.lat, lon: p.lon, position_at: p.position_at,
        position_accuracy_m: p.accuracy_m, position_stale: p.stale };
      state.units.set(p.id, next);
      markRow(next);
      C.map.upsertUnit(next);
      if (next.status === "available") C.detail.touch(null, ["recs"]); // travel times moved
    },
    "message.status": (p) => C.detail.touch(p.incident_id, ["messages"]),
    "board.resync": () => sync(), // the server's Redis link was down: events may have been missed
    "message.received": (p) => C.detail.touch(p.incident_id, ["messages", "detail"]),
    "alarm.raised": (p) => C.alarms.raised(p, true),
    "alarm.acknowledged": (p) => C.alarms.update(p),
    "alarm.resolved": (p) => C.alarms.update(p),
    escalation: escalationAlarm,
    "handover.note": (p) => C.alarms.notice({ kind: "handover_note", sound: Boolean(p.urgent),
      incidentId: p.incident_id, reference: p.reference,
      title: t(p.urgent ? "alarm_handover_note_urgent" : "alarm_handover_note",
        { reference: p.reference, organisations: (p.organisations || []).join(", ") }) }),
  };

  function dispatch(name, payload) {
    const handler = handlers[name];
    if (!handler || !payload || typeof payload !== "object") return;
    try {
      handler(payload);
    } catch (err) {
      window.console.error(`console: ${name}`, err);
    }
  }

  /* ---- board snapshot and connection -------------------------------------------------- */

  function applySnapshot(board) {
    // Another person logged in meanwhile (in another tab): nothing of this page is theirs.
    if (root.dataset.user && root.dataset.user !== board.user) {
      window.location.reload();
      return;
    }
    root.dataset.user = board.user;
    skew = Date.parse(board.as_of) - Date.now();
    if (board.unit_position_stale_s) C.positionStaleS = board.unit_position_stale_s;
    state.incidents = new Map(board.incidents.map((i) => [i.id, i]));
    state.units = new Map(board.units.map((u) => [u.id, u]));
    renderQueue();
    renderUnits();
    C.map.setIncidents(board.incidents);
    C.map.setUnits(board.units);
    if (board.late_after_s) lateAfter = board.late_after_s;
    C.alarms.load(board.alarms, board.sound_muted); // as they stand on the server
    renderQueue();
    if (selected !== null) C.selectRow(selected);
    if (C.detail.current() !== null) C.detail.touch(C.detail.current());
  }

  async function sync() {
    const generation = ++syncGeneration;
    syncing = true;
    held = [];
    try {
      const board = await api("GET", "/api/v1/board");
      if (generation !== syncGeneration) return;
      applySnapshot(board);
      root.dataset.syncs = String(Number(root.dataset.syncs || 0) + 1);
      // /console#incident-<id> (from an incident page): open it once the board is in.
      const asked = /^#incident-(\d+)$/.exec(window.location.hash);
      if (asked && root.dataset.syncs === "1") C.detail.open(Number(asked[1]), { focus: true });
      root.dataset.syncedAt = board.as_of;
    } catch (err) {
      if (generation !== syncGeneration) return;
      showBanner(t("board_failed", { message: err.message }));
      window.setTimeout(() => socket.connected && generation === syncGeneration && sync(), 3000);
    } finally {
      if (generation === syncGeneration) {
        syncing = false;
        const replay = held;
        held = [];
        replay.forEach(([name, payload]) => dispatch(name, payload));
      }
    }
  }

  function setConn(stateName) {
    const node = $("conn-state");
    node.dataset.state = stateName;
    node.textContent = t(`conn_${stateName}`);
    root.classList.toggle("is-offline", stateName === "offline");
  }

  function showBanner(text) {
    $("conn-banner-text").textContent = text;
    $("conn-banner").hidden = false;
  }

  function offline(text) {
    if (offlineSince === null) offlineSince = new Date();
    setConn("offline");
    showBanner(text || t("conn_since", {
      time: offlineSince.toLocaleTimeString("nl-BE", { timeZone: "Europe/Brussels" }) }));
  }

  const socket = window.io("/console", {
    reconnectionDelay: 500,
    reconnectionDelayMax: 3000,
    randomizationFactor: 0.5,
  });
  C.socket = socket;
  socket.on("connect", () => {
    offlineSince = null;
    $("conn-banner").hidden = true;
    setConn("live");
    sync();
  });
  socket.on("disconnect", (reason) => {
    offline();
    // The server ended the session (e.g. logged out elsewhere): try again, it may be back.
    if (reason === "io server disconnect") window.setTimeout(() => socket.connect(), 3000);
  });
  /* Why the live connection failed, as socket.io-client tells it: the handshake's HTTP status
     (400 "Not an accepted origin": this page's address is not the server's; 401: not logged in;
     0: unreachable). Retrying cannot fix a refused origin. */
  socket.on("connect_error", (err) => {
    const status = err && err.type === "TransportError" ? err.description : undefined;
    const body = err && err.context && typeof err.context.responseText === "string"
      ? err.context.responseText : "";
    if (status === 400 && body.includes("Not an accepted origin")) {
      offline(t("conn_origin"));
      socket.disconnect();
      return;
    }
    if (status === 401) {
      offline(t("conn_refused"));
      return;
    }
    if (status === 0) {
      offline(t("conn_unreachable"));
      return;
    }
    if (socket.active) {
      offline();
      return;
    }
    offline(t("conn_refused")); // refused by the server: no automatic retry, so retry here
    window.setTimeout(() => !socket.connected && socket.connect(), 5000);
  });
  /* An event about a restricted incident comes in two versions with one event_id: the redacted
     one for the whole board, then the whole one for those allowed (supervisors, the involved).
     A console that gets both keeps the whole one; a redacted one is applied only if no whole
     version follows within a moment. */
  const wholeSeen = new Set();
  const redactedWaiting = new Map();
  function deliver(name, payload) {
    if (syncing) held.push([name, payload]);
    else dispatch(name, payload);
  }
  function receive(name, payload) {
    const id = payload && payload.event_id;
    if (!id) return deliver(name, payload);
    if (payload.redacted) {
      if (wholeSeen.has(id)) return undefined;
      redactedWaiting.set(id, window.setTimeout(() => {
        redactedWaiting.delete(id);
        deliver(name, payload);
      }, 300));
      return undefined;
    }
    wholeSeen.add(id);
    if (wholeSeen.size > 500) wholeSeen.delete(wholeSeen.values().next().value);
    window.clearTimeout(redactedWaiting.get(id));
    redactedWaiting.delete(id);
    return deliver(name, payload);
  }
  socket.onAny(receive);

  /* ---- keyboard ----------------------------------------------------------------------- */

  function onKeydown(event) {
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      const action = {
        KeyN: () => C.intake.open(),
        KeyQ: () => { C.intake.hide(); focusQueue(); },
        KeyA: () => C.detail.assignFirst(),
        KeyL: () => C.alarms.focus(),
        KeyM: () => C.alarms.toggleMute(),
        KeyT: () => C.actions.open("message"),
        KeyC: () => C.actions.open("close"),
        KeyP: () => C.actions.open("priority"),
        KeyO: () => C.actions.open("note"),
      }[event.code];
      if (action) {
        event.preventDefault();
        action();
      }
      return;
    }
    if (event.key === "Escape" && $("detail").contains(document.activeElement)) {
      event.preventDefault();
      focusQueue();
      return;
    }
    const typing = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "?" && !typing && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      $("help").showModal();
    }
  }

  /* ---- start -------------------------------------------------------------------------- */

  // Until the first snapshot arrives, the server-rendered rows stay (with their own timers).
  for (const row of rows()) {
    const cells = row.querySelectorAll("td.timer");
    state.incidents.set(Number(row.dataset.id), { id: Number(row.dataset.id),
      reference: row.dataset.reference, priority: row.dataset.priority, status: row.dataset.status,
      received_at: cells[0].dataset.since, dispatched_at: cells[1].dataset.since || null,
      lat: null, lon: null, district: null, flags: [], sms_address: row.querySelector("td.addr").textContent });
  }
  C.focusQueue = focusQueue;
  $("help-open").addEventListener("click", () => $("help").showModal());
  queueBody.addEventListener("keydown", onQueueKey);
  queueBody.addEventListener("click", onQueueClick);
  document.addEventListener("keydown", onKeydown);
  setConn("connecting");
  tick();
  window.setInterval(tick, 1000);
  window.setInterval(agePositions, 30000);
})();
