/* Nachtwacht officer page (/unit): the crew's assignment(s), status buttons, NOOD, position.
 * Live over Socket.IO (namespace /console): `officer.refresh` carries an incident id only, and
 * the page re-reads its view from the API (debounced), on every (re)connect and after its own
 * reports. Nothing about a case is kept in storage: the view lives in this page's memory. */
(function () {
  "use strict";
  const { api, badge, el, t } = window.NW;
  const $ = (id) => document.getElementById(id);
  const root = $("officer");
  if (!root) return;
  const source = root.dataset.source;
  const CODES = ["ack", "en_route", "on_scene", "clear"];
  const PRESSED = { acknowledged: "ack", en_route: "en_route", on_scene: "on_scene", available: "clear" };
  const SHARE_EVERY_MS = 30000;
  const NOOD_WINDOW_MS = 5000;
  let view = null;

  /* ---- messages ----------------------------------------------------------------------- */

  function say(text, kind) {
    const node = $("report-status");
    node.className = "report-status" + (kind ? " is-" + kind : "");
    node.textContent = "";
    window.setTimeout(() => (node.textContent = text), 30);
  }

  function problem(err) {
    return err.status === 0 ? t("network_error") : err.message;
  }

  /* ---- the view ----------------------------------------------------------------------- */

  function part(cls, title, ...children) {
    return el("section", { class: "part " + cls }, el("h3", { text: t(title) }), ...children);
  }

  function flagItem(a, f) {
    const text = f.code === "prior_incidents" ? t("prior", { n: a.prior_incidents }) : f.label;
    return el("li", { class: "flag flag-" + f.code, dataset: { flag: f.code }, text });
  }

  function statusButtons(a) {
    const current = view.unit ? PRESSED[view.unit.status] : null;
    return el("div", { class: "status-buttons", role: "group", "aria-label": t("report") },
      CODES.map((code) => el("button", {
        type: "button", class: `report report-${code}${code === current ? " current" : ""}`,
        dataset: { code, assignmentId: String(a.id) }, "aria-current": code === current ? "true" : null,
        text: t("btn_" + code) })));
  }

  function card(a) {
    const langs = a.languages.map((l) => l.label).join(", ");
    return el("article", { class: "assignment card", "aria-labelledby": `ref-${a.id}`,
      dataset: { id: String(a.id), priority: a.priority, active: String(a.active) } },
      el("header", { class: "a-head" }, badge(a.priority),
        el("h2", { id: `ref-${a.id}`, class: "reference", text: a.reference })),
      a.active ? null : el("p", { class: "ended", text: t("ended") }),
      part("addr", "address", el("p", { class: "address", text: a.address || "—" }),
        a.district ? el("p", { class: "district muted", text: a.district }) : null,
        a.geo ? el("a", { class: "big-button nav", href: a.geo, text: t("navigate") })
          : el("p", { class: "muted", text: t("no_point") })),
      part("safety", "safety", a.flags.length
        ? el("ul", { class: "flags" }, a.flags.map((f) => flagItem(a, f)))
        : el("p", { class: "muted", text: t("no_flags") })),
      part("access", "access", a.access_notes
        ? el("p", { class: "access-notes", text: a.access_notes })
        : el("p", { class: "muted", text: t("no_access") })),
      part("language", "language", el("p", { class: "languages", text: langs || t("no_language") }),
        a.interpreter_needed ? el("p", { class: "interpreter", text: t("interpreter") })
          : (langs ? el("p", { class: "muted", text: t("no_interpreter") }) : null)),
      a.active ? statusButtons(a) : null,
      el("a", { class: "note-link", href: a.note_url, text: t("note") }));
  }

  function renderUnit(unit) {
    $("call-sign").textContent = unit ? unit.call_sign : "—";
    const status = $("unit-status");
    status.className = "status status-" + (unit ? unit.status : "off_duty");
    status.dataset.status = unit ? unit.status : "";
    if (unit) status.textContent = unit.status_label;
  }

  function render(next) {
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.code : null;
    view = next;
    renderUnit(view.unit);
    const list = $("assignments");
    list.dataset.count = String(view.assignments.length);
    list.replaceChildren(...(view.assignments.length ? view.assignments.map(card)
      : [el("p", { class: "card none", text: t("none") })]));
    if (focused) { // a re-render keeps the officer's place on the buttons
      const again = list.querySelector(`button[data-code="${focused}"]`);
      if (again) again.focus();
    }
    $("recent").hidden = !view.recent.length;
    $("recent-list").replaceChildren(...view.recent.map((r) =>
      el("li", {}, el("a", { href: r.url, text: r.reference }))));
    if (view.unit && !view.unit.on_duty) share.stop(t("share_off_duty"));
    root.dataset.loaded = String(Date.now());
  }

  let loading = false;
  let again = false;
  let timer = null;

  async function load() {
    if (loading) { again = true; return; }
    loading = true;
    try {
      render(await api("GET", source));
    } catch (err) {
      if (err.status === 404) render({ unit: view && view.unit, assignments: [], recent: [] });
      else say(problem(err), "error");
    } finally {
      loading = false;
      if (again) { again = false; load(); }
    }
  }

  /** Re-read the view soon (several events in a burst give one request). */
  function refresh() {
    window.clearTimeout(timer);
    timer = window.setTimeout(load, 250);
  }

  /* ---- reports ------------------------------------------------------------------------ */

  async function report(code, assignmentId) {
    say(t("sending"));
    const body = { code };
    if (assignmentId) body.assignment_id = Number(assignmentId);
    let outcome;
    try {
      const done = await api("POST", root.dataset.reportUrl, body);
      outcome = done.checked_in ? t("checked_in") : t("sent_" + code);
      say(outcome, code === "distress" ? "alert" : "ok");
    } catch (err) {
      outcome = problem(err);
      say(outcome, "error");
    }
    // The NOOD bar stays in view however far the page is scrolled: its outcome is shown there.
    if (code === "distress") $("nood-hint").textContent = outcome;
    refresh();
  }

  function firstAssignment() {
    const active = view && view.assignments.find((a) => a.active);
    return active ? active.id : root.dataset.assignmentId;
  }

  /* NOOD: the first tap arms it, a second within NOOD_WINDOW_MS sends it (no pocket alarm). */
  let armed = null;
  function nood(button) {
    if (armed) {
      window.clearTimeout(armed);
      armed = null;
      button.classList.remove("armed");
      $("nood-hint").textContent = t("sending");
      report("distress", firstAssignment());
      return;
    }
    button.classList.add("armed");
    $("nood-hint").textContent = t("nood_armed");
    armed = window.setTimeout(() => {
      armed = null;
      button.classList.remove("armed");
      $("nood-hint").textContent = t("nood_hint");
    }, NOOD_WINDOW_MS);
  }

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.id === "nood") nood(button);
    else if (button.id === "share") share.toggle();
    else if (button.classList.contains("report")) report(button.dataset.code, button.dataset.assignmentId);
  });

  /* ---- position ----------------------------------------------------------------------- */

  const share = (function () {
    let wanted = false;
    let watch = null;
    let lastSent = 0;
    const button = () => $("share");
    const status = (text) => { if ($("share-status")) $("share-status").textContent = text; };

    function start() {
      if (watch !== null || document.hidden) return;
      watch = navigator.geolocation.watchPosition(sent, failed,
        { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
    }
    function pause() {
      if (watch !== null) navigator.geolocation.clearWatch(watch);
      watch = null;
    }
    function stop(text) {
      if (!wanted) return;
      wanted = false;
      pause();
      button().setAttribute("aria-pressed", "false");
      button().textContent = t("share");
      status(text || t("share_off"));
    }
    async function sent(position) {
      const now = Date.now();
      if (now - lastSent < SHARE_EVERY_MS) return;
      lastSent = now;
      const c = position.coords;
      try {
        await api("POST", root.dataset.positionUrl,
          { lat: c.latitude, lon: c.longitude, accuracy_m: Math.max(1, Math.round(c.accuracy)) });
        status(t("share_sent", { time: new Date().toLocaleTimeString("nl-BE",
          { timeZone: "Europe/Brussels", hour: "2-digit", minute: "2-digit" }), m: Math.round(c.accuracy) }));
      } catch (err) {
        if (err.status === 409) stop(t("share_off_duty"));
        else status(problem(err));
      }
    }
    function failed(err) {
      if (err.code === 1) stop(t("share_denied")); // PERMISSION_DENIED
    }
    function toggle() {
      if (wanted) return stop();
      if (!navigator.geolocation) return status(t("share_unsupported"));
      if (view && view.unit && !view.unit.on_duty) return status(t("share_off_duty"));
      wanted = true;
      lastSent = 0;
      button().setAttribute("aria-pressed", "true");
      button().textContent = t("stop_share");
      status(t("share_on"));
      start();
      return undefined;
    }
    document.addEventListener("visibilitychange", () => {
      if (!wanted) return;
      if (document.hidden) { pause(); status(t("share_paused")); }
      else { status(t("share_on")); start(); }
    });
    return { toggle, stop };
  })();

  /* ---- live --------------------------------------------------------------------------- */

  function conn(state) {
    const node = $("conn-state");
    node.dataset.state = state;
    node.textContent = t("conn_" + state);
  }

  const socket = window.io("/console", { reconnectionDelay: 500, reconnectionDelayMax: 3000 });
  window.NWUnit = { socket, refresh };
  socket.on("connect", () => { conn("live"); refresh(); });
  socket.on("disconnect", (reason) => {
    conn("offline");
    if (reason === "io server disconnect") window.setTimeout(() => socket.connect(), 3000);
  });
  socket.on("connect_error", () => {
    conn("offline");
    if (!socket.active) window.setTimeout(() => !socket.connected && socket.connect(), 5000);
  });
  socket.on("officer.refresh", refresh);
  view = { unit: null, assignments: [], recent: [] };
  load();
})();
