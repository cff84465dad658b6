/* Nachtwacht console: the incident detail panel — facts, ranked units with Assign, the
 * assignments, the SMS thread and the timeline. Reloads (debounced) when an event touches the
 * open incident. Case data and SMS texts are hostile: textContent only. */
(function () {
  "use strict";
  const { api, el, fixText, fmtTime, label, localText, setBadge, t } = window.NW;
  const C = (window.NWConsole = window.NWConsole || {});
  const $ = (id) => document.getElementById(id);
  let current = null; // the open incident's id
  const TOP = 4; // recommendations shown before "more units"
  const sequence = {}; // per part: answers older than the newest request are dropped
  const pending = new Set();
  let pendingTimer = null;
  let recs = [];
  let assignments = [];
  let busy = false;
  let confirmUnit = null; // Alt+A on an incident that already has a unit asks twice
  let detail = null; // the open incident as last loaded

  function setStatus(text, kind) {
    const node = $("detail-status");
    node.className = "form-status" + (kind ? ` status-${kind}` : "");
    node.textContent = text || "";
  }

  function showAssignError(text) {
    const box = $("assign-error");
    box.hidden = !text;
    box.textContent = text || "";
  }

  function clock(iso) {
    if (!iso) return "—";
    return new Date(iso).toLocaleTimeString("nl-BE", { timeZone: "Europe/Brussels" });
  }

  function callSignFor(phone) {
    const unit = [...C.state.units.values()].find((u) => u.phone === phone);
    return unit ? unit.call_sign : phone || "?";
  }

  function kv(term, ...value) {
    return [el("dt", { text: term }), el("dd", {}, ...value)];
  }

  let flagTexts = null; // immediate-danger questions by id, loaded once

  async function loadFlagTexts() {
    try {
      const list = await api("GET", "/api/v1/instruments");
      const danger = list.items.find((i) => i.id === "immediate-danger");
      flagTexts = Object.fromEntries((danger ? danger.items : []).map((i) => [i.id, localText(i.text)]));
    } catch (err) {
      flagTexts = {};
    }
  }

  function flagText(flag) {
    const own = label("flag", flag);
    if (own !== flag.replace(/_/g, " ")) return own;
    return (flagTexts && flagTexts[flag]) || own;
  }

  function renderFacts(d) {
    detail = d;
    $("detail-address").textContent = d.sms_address || d.address || "";
    $("detail-link").hidden = false;
    const restrict = document.querySelector('#actions [data-action="restrict"]');
    if (restrict) restrict.setAttribute("aria-pressed", d.restricted ? "true" : "false");
    const hold = document.querySelector('#actions [data-action="hold"]');
    if (hold) hold.setAttribute("aria-pressed", d.legal_hold ? "true" : "false");
    setBadge($("detail-priority"), d.priority);
    const status = $("detail-status-label");
    status.textContent = label("status", d.status);
    status.className = `status incident-status-${d.status}`;
    const where = [d.district, d.postcode].filter(Boolean).join(" · ");
    const summary = C.state.incidents.get(d.id);
    $("detail-facts").replaceChildren(
      ...kv(t("address"), d.address || "—"),
      ...kv(t("sms_address"), d.sms_address || "—"),
      ...kv(t("access_notes"), d.access_notes || "—"),
      ...kv(t("location"), el("span", { class: `quality quality-${d.location_quality}`,
        text: label("quality", d.location_quality) }), where ? ` · ${where}` : "",
        fixText(d) ? ` · ${fixText(d)}` : ""),
      ...kv(t("received"), fmtTime(d.received_at)),
      ...kv(t("dispatched_at"), fmtTime(summary ? summary.dispatched_at : d.dispatched_at)),
      ...kv(t("flags"), ...flagList(d.flags)),
      ...kv(t("children"), ...childrenValue(d)),
      ...kv(t("motives"), (d.motives || []).map((m) => label("motive", m)).join(", ") || "—"),
      ...kv(t("requested_skills"), d.requested_skills.map((s) => label("skill", s)).join(", ") || "—"),
      ...kv(t("narrative"), el("span", { class: "narrative-short", text: d.narrative || "—" })));
    renderDanger(d);
  }

  const ORDER_FLAGS = ["possible_breach", "order_in_force"];

  /** The danger signs, the order register's in red. */
  function flagList(flags) {
    if (!flags.length) return ["—"];
    return flags.flatMap((flag, n) => [n ? ", " : "",
      el("span", { class: ORDER_FLAGS.includes(flag) ? "flag-order" : null, dataset: { flag },
        text: flagText(flag) })]);
  }

  /** Children: how many, their ages, present, at risk (at risk stands out). */
  function childrenValue(d) {
    const c = d.children;
    const known = (v) => v !== null && v !== undefined;
    const present = c && known(c.present) ? c.present : d.children_present;
    if (!c && !known(present)) return ["—"];
    if (c && c.count === 0) return [t("children_none")];
    const parts = [];
    if (c && c.count === 1) parts.push(t("children_count_one"));
    else if (c && c.count) parts.push(t("children_count", { n: c.count }));
    if (c && (c.ages || []).length) parts.push(t("children_ages", { ages: c.ages.join(", ") }));
    if (known(present)) parts.push(t(present ? "children_present_yes" : "children_present_no"));
    if (c && c.at_risk === true) {
      parts.push(el("strong", { class: "children-at-risk", text: t("children_at_risk_yes") }));
    } else if (c && c.at_risk === false) parts.push(t("children_at_risk_no"));
    if (!parts.length) return ["—"];
    return parts.flatMap((part, n) => (n ? [" · ", part] : [part]));
  }

  /** A house ban or court order on the incident above everything else; a possible breach in
   * the P1 colours (the server made it P1). Redrawn only when the flags change. */
  function renderDanger(d) {
    const box = $("detail-danger");
    const breach = d.flags.includes("possible_breach");
    const order = breach || d.flags.includes("order_in_force");
    const key = order ? `${d.id}:${breach}` : "";
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.hidden = !order;
    box.className = `detail-danger${breach ? " danger-breach" : ""}`;
    if (!order) {
      box.replaceChildren();
      return;
    }
    box.replaceChildren(
      el("strong", { class: "danger-title", text: t(breach ? "danger_breach" : "danger_order") }),
      breach ? ` ${t("danger_breach_sms")} ` : " · ",
      el("a", { href: "/protective-orders", text: t("danger_register") }));
  }

  function recReason(r, language) {
    if (r.reasons && r.reasons.length) return r.reasons.join(" · "); // the server's, translated
    const parts = [];
    const incident = C.state.incidents.get(current);
    if (r.distance_m === null || r.eta_s === null) {
      const unplaced = incident && (incident.lat === null || incident.lat === undefined);
      parts.push(t(unplaced ? "location_unknown" : "position_unknown"));
    } else {
      parts.push(t("travel", { km: (r.distance_m / 1000).toFixed(1),
        min: Math.max(1, Math.round(r.eta_s / 60)) }));
    }
    r.matched.forEach((s) => parts.push(t("has_skill", { skill: label("skill", s) })));
    r.missing.forEach((s) => parts.push(t("lacks_skill", { skill: label("skill", s) })));
    if (r.language_match === true) parts.push(t("speaks", { lang: language }));
    if (r.language_match === false) parts.push(t("not_speaks", { lang: language }));
    return parts.join(" · ");
  }

  function recItem(r, index, language) {
    const first = index === 0;
    const button = el("button", { type: "button", class: first ? "save assign" : "secondary assign",
      dataset: { unitId: String(r.unit_id) }, "aria-keyshortcuts": first ? "Alt+A" : null },
    t("assign", { unit: r.call_sign }), first ? " " : null, first ? el("kbd", { text: "Alt+A" }) : null);
    button.addEventListener("click", () => assign(r));
    return el("li", { class: "rec", dataset: { unitId: String(r.unit_id), callSign: r.call_sign } },
      el("div", { class: "rec-text" }, el("strong", { text: r.call_sign }),
        el("span", { class: "why", text: recReason(r, language) })),
      button);
  }

  function renderRecs(list) {
    recs = list.items;
    if (!recs.length) {
      $("recs").replaceChildren(el("p", { class: "muted", text: t("no_recs") }));
      return;
    }
    const items = recs.map((r, index) => recItem(r, index, list.language));
    const shown = el("ol", { class: "recs" }, items.slice(0, TOP));
    if (items.length <= TOP) {
      $("recs").replaceChildren(shown);
      return;
    }
    const wasOpen = $("recs").querySelector("details[open]") !== null;
    const more = el("details", { class: "more-recs", open: wasOpen },
      el("summary", { text: t("more_units", { n: items.length - TOP }) }),
      el("ol", { class: "recs", start: String(TOP + 1) }, items.slice(TOP)));
    $("recs").replaceChildren(shown, more);
  }

  function renderAssignments(list) {
    assignments = list.items;
    if (!assignments.length) {
      $("assignments").replaceChildren(el("p", { class: "muted", text: t("no_assignments") }));
      return;
    }
    const rows = assignments.map((a) => {
      const unit = C.state.units.get(a.unit_id);
      const facts = [fmtTime(a.assigned_at)];
      if (a.acknowledged_at) facts.push(t("ack_at", { time: clock(a.acknowledged_at) }));
      if (a.page_count > 1) facts.push(t("pages", { n: a.page_count }));
      const active = a.status === "active";
      const buttons = [];
      if (active) {
        const release = el("button", { type: "button", class: "secondary small release",
          text: t("release"), "aria-label": `${t("release")} ${a.call_sign}` });
        release.addEventListener("click", () => C.actions.release(a));
        buttons.push(release);
        if (unit) {
          const status = el("button", { type: "button", class: "secondary small",
            text: t("set_status"), "aria-label": `${t("set_status")} ${a.call_sign}` });
          status.addEventListener("click", () => C.actions.unitStatus(unit));
          buttons.push(status);
        }
      }
      return el("li", { class: `assignment assignment-${a.status}`, dataset: { unitId: String(a.unit_id) } },
        el("strong", { text: a.call_sign }), " ",
        unit && active
          ? el("span", { class: `status status-${unit.status}`, text: label("unit", unit.status) })
          : el("span", { class: "tag", text: label("assignment", a.status) }),
        el("span", { class: "muted", text: ` ${facts.join(" · ")}` }),
        buttons.length ? el("span", { class: "assignment-actions" }, buttons) : null);
    });
    $("assignments").replaceChildren(el("ul", { class: "assignment-list" }, rows));
  }

  function renderMessages(list) {
    if (!list.items.length) {
      $("messages").replaceChildren(el("p", { class: "muted", text: t("no_messages") }));
      return;
    }
    const rows = list.items.map((m) => {
      const inbound = m.direction === "in";
      const who = inbound ? t("direction_in", { unit: callSignFor(m.from) })
        : t("direction_out", { unit: callSignFor(m.to) });
      return el("tr", { class: inbound ? "sms-in" : "sms-out", dataset: { messageId: String(m.id),
        direction: m.direction, status: m.status } },
        el("td", { class: "when" }, el("time", { datetime: m.created_at, text: clock(m.created_at) })),
        el("td", { text: who }),
        el("td", {}, el("div", { class: "sms-body", text: m.body })),
        el("td", { class: `msg-status msg-${m.status}`, text: label("msg", m.status),
          title: m.last_error || null }));
    });
    const head = el("tr", {}, [t("when"), t("who"), t("sms_text"), t("status")].map(
      (h) => el("th", { scope: "col", text: h })));
    $("messages").replaceChildren(el("table", { class: "sms" }, el("thead", {}, head),
      el("tbody", {}, rows)));
  }

  function renderTimeline(d) {
    if (!d.timeline.length) {
      $("timeline").replaceChildren(el("p", { class: "muted", text: t("no_timeline") }));
      return;
    }
    const head = el("tr", {}, [t("when"), t("who"), t("what"), t("change"), t("details")].map(
      (h) => el("th", { scope: "col", text: h })));
    const rows = d.timeline.map((e) => {
      const state = (code) => (code ? label(e.kind.startsWith("unit") ? "unit" : "status", code) : "—");
      const change = e.from_state || e.to_state ? `${state(e.from_state)} → ${state(e.to_state)}` : "";
      const data = Object.entries(e.data || {}).map(([k, v]) =>
        `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(" · ");
      return el("tr", { dataset: { kind: e.kind } },
        el("td", { class: "when" }, el("time", { datetime: e.occurred_at, text: clock(e.occurred_at) })),
        el("td", {}, e.actor || "—", el("div", { class: "data", text: label("source", e.source) })),
        el("td", { text: label("kind", e.kind) }),
        el("td", { text: change }),
        el("td", {}, e.detail ? el("div", { class: "sms-body", text: e.detail }) : null,
          data ? el("div", { class: "data", text: data }) : null));
    });
    $("timeline").replaceChildren(el("table", { class: "timeline" }, el("thead", {}, head),
      el("tbody", {}, rows)));
  }

  async function load(parts) {
    const id = current;
    const base = `/api/v1/incidents/${id}`;
    const want = parts || ["detail", "recs", "assignments", "messages"];
    const calls = {
      detail: async () => {
        if (flagTexts === null) await loadFlagTexts();
        return api("GET", base);
      },
      recs: () => api("GET", `${base}/recommendations`),
      assignments: () => api("GET", `${base}/assignments`),
      messages: () => api("GET", `${base}/messages`),
    };
    const render = { detail: (d) => { renderFacts(d); renderTimeline(d); }, recs: renderRecs,
      assignments: renderAssignments, messages: renderMessages };
    // Each part keeps only its newest answer, and only for the incident still open.
    const tickets = want.map((part) => (sequence[part] = (sequence[part] || 0) + 1));
    const results = await Promise.allSettled(want.map((part) => calls[part]()));
    if (id !== current) return;
    const failed = [];
    results.forEach((result, i) => {
      if (tickets[i] !== sequence[want[i]]) return;
      if (result.status === "fulfilled") render[want[i]](result.value);
      else failed.push(result.reason);
    });
    if (failed.length) setStatus(t("load_failed", { message: failed[0].message }), "error");
    else if (!$("detail-status").classList.contains("status-ok")) {
      setStatus(t("updated", { time: clock(new Date().toISOString()) }));
    }
    $("detail").dataset.loaded = String(id);
  }

  /** Open an incident in the panel (and select it in the queue and on the map). */
  function open(id, options) {
    const summary = C.state.incidents.get(id);
    const changed = current !== id;
    current = id;
    confirmUnit = null;
    $("detail-empty").hidden = true;
    $("detail-body").hidden = false;
    $("actions").hidden = false;
    $("detail").dataset.incidentId = String(id);
    $("detail-reference").textContent = summary ? summary.reference : `#${id}`;
    $("detail-link").href = `/incidents/${id}`;
    $("note-link").href = `/incidents/${id}/note`;
    if (changed) {
      detail = null;
      $("detail-address").textContent = summary && summary.sms_address ? summary.sms_address : "";
      delete $("detail").dataset.loaded;
      showAssignError("");
      for (const part of ["recs", "assignments", "messages", "timeline", "detail-facts", "detail-danger"]) {
        $(part).replaceChildren();
      }
      $("detail-danger").hidden = true;
      delete $("detail-danger").dataset.key;
      setStatus(t("loading"));
    }
    C.selectRow(id);
    C.map.select(id);
    if (options && options.focus) $("h-detail").focus();
    return load();
  }

  /** Reload parts of the open incident soon (events come in bursts: one load per burst). */
  function touch(incidentId, parts) {
    if (current === null || (incidentId !== null && incidentId !== current)) return;
    (parts || ["detail", "recs", "assignments", "messages"]).forEach((part) => pending.add(part));
    clearTimeout(pendingTimer);
    pendingTimer = setTimeout(() => {
      const due = [...pending];
      pending.clear();
      if (current !== null && due.length) load(due);
    }, 200);
  }

  async function assign(rec) {
    if (busy || current === null) return;
    busy = true;
    showAssignError("");
    setStatus(t("assigning", { unit: rec.call_sign }));
    document.querySelectorAll("#recs button.assign").forEach((b) => (b.disabled = true));
    try {
      await api("POST", `/api/v1/incidents/${current}/assignments`, { unit_id: rec.unit_id });
      setStatus(t("assigned_ok", { unit: rec.call_sign }), "ok");
      C.announce(t("assigned_ok", { unit: rec.call_sign }));
    } catch (err) {
      const text = err.status === 409 ? t("assign_conflict", { message: err.message })
        : t("assign_failed", { message: err.message });
      showAssignError(text);
      setStatus("");
    } finally {
      busy = false;
      confirmUnit = null;
      await load(["recs", "assignments", "messages", "detail"]);
    }
  }

  /** Alt+A: assign the first recommended unit (asks twice when a unit is already there). */
  function assignFirst() {
    if (current === null) {
      C.announce(t("assign_none_selected"), true);
      return;
    }
    const first = recs[0];
    if (!first) {
      showAssignError(t("assign_no_unit"));
      return;
    }
    const active = assignments.filter((a) => a.status === "active").map((a) => a.call_sign);
    if (active.length && confirmUnit !== first.unit_id) {
      confirmUnit = first.unit_id;
      setStatus(t("assign_again", { units: active.join(", "), unit: first.call_sign }), "warn");
      return;
    }
    assign(first);
  }

  /** Bring the recommended units into view and focus the first Assign button. */
  function showRecs() {
    $("h-recs").scrollIntoView({ block: "start" });
    const first = $("recs").querySelector("button.assign");
    if (first) first.focus({ preventScroll: true });
  }

  C.detail = { open, touch, assignFirst, showRecs, current: () => current, data: () => detail,
    activeAssignments: () => assignments.filter((a) => a.status === "active") };
})();
