/* Nachtwacht incident page: case data, persons, earlier incidents, risk screens and the timeline,
 * loaded from GET /api/v1/incidents/<id>. Everything is put in the page with textContent. */
(function () {
  "use strict";
  const { api, badge, el, fixText, fmtTime, label, localText, priorTable, recommendationList, setBadge,
    t } = window.NW;
  const root = document.getElementById("incident");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const incidentId = Number(root.dataset.incidentId);
  let instruments = {};

  function setStatus(text, kind) {
    const node = $("load-status");
    node.className = "form-status" + (kind ? ` status-${kind}` : "");
    node.textContent = text;
  }

  function itemText(instrumentId, itemId) {
    const inst = instruments[instrumentId];
    const item = inst && inst.items.find((i) => i.id === itemId);
    return item ? localText(item.text) : itemId;
  }

  function flagText(flag) {
    const own = label("flag", flag);
    return own !== flag.replace(/_/g, " ") ? own : itemText("immediate-danger", flag);
  }

  function yesNo(value) {
    if (value === true) return t("ans_yes");
    if (value === false) return t("ans_no");
    return t("ans_unknown");
  }

  function kv(term, ...value) {
    return [el("dt", { text: term }), el("dd", {}, ...value)];
  }

  function renderCase(d) {
    const where = [d.district, d.postcode].filter(Boolean).join(" · ");
    const point = d.lat !== null && d.lat !== undefined ? `${d.lat}, ${d.lon}` : "—";
    const flags = d.flags.length
      ? el("ul", { class: "reasons" }, d.flags.map((f) => el("li", { text: flagText(f) })))
      : "—";
    $("case").replaceChildren(
      ...kv(t("received"), fmtTime(d.received_at)),
      ...kv(t("address"), d.address || "—"),
      ...kv(t("sms_address"), d.sms_address || "—"),
      ...kv(t("access_notes"), d.access_notes || "—"),
      ...kv(t("location"), el("span", { class: `quality quality-${d.location_quality}`,
        text: label("quality", d.location_quality) }), where ? ` · ${where}` : "",
        fixText(d) ? ` · ${fixText(d)}` : ""),
      ...kv(t("point"), point),
      ...kv(t("caller_phone"), d.caller_phone || "—"),
      ...kv(t("children_present"), yesNo(d.children_present)),
      ...kv(t("requested_skills"), d.requested_skills.map((s) => label("skill", s)).join(", ") || "—"),
      ...kv(t("flags"), flags)
    );
    $("narrative").textContent = d.narrative || "—";
  }

  function renderPersons(d) {
    if (!d.persons.length) {
      $("persons").replaceChildren(el("p", { class: "muted", text: t("no_persons") }));
      return;
    }
    const head = el("tr", {}, [t("role"), t("name"), t("age"), t("birth_year"), t("language"),
      t("own_phone")].map((h) => el("th", { scope: "col", text: h })));
    const rows = d.persons.map((p) => el("tr", {},
      el("td", { text: label("role", p.role) }), el("td", { text: p.name || "—" }),
      el("td", { text: p.age ?? "—" }), el("td", { text: p.birth_year ?? "—" }),
      el("td", { text: p.language || "—" }), el("td", { text: p.phone || "—" })));
    $("persons").replaceChildren(el("div", { class: "table-wrap" },
      el("table", {}, el("thead", {}, head), el("tbody", {}, rows))));
  }

  function assessmentNode(a) {
    const inst = instruments[a.instrument];
    const facts = [`${t("score")} ${a.score}`, t("unknown_count", { n: a.unknown_count }),
      t("version", { n: a.assessment_version }), fmtTime(a.created_at)];
    return el("li", { class: "assessment", dataset: { instrument: a.instrument, level: a.level } },
      el("div", { class: "assessment-head" },
        el("strong", { text: inst ? localText(inst.title) : a.instrument }), " ",
        el("span", { class: `level level-${a.level}`, text: label("level", a.level) }), " ",
        badge(a.priority)),
      el("div", { class: "muted", text: facts.join(" · ") }),
      a.judgement ? el("div", { text: t("judgement", {
        level: label("level", a.judgement.level), reason: a.judgement.reason }) }) : null,
      el("div", { class: "why", text: t("reasons") }),
      el("ul", { class: "reasons" }, a.reasons.map((r) => el("li", { text: r }))),
      el("div", { class: "why", text: t("recommendations") }),
      recommendationList([a]));
  }

  function renderAssessments(d) {
    const list = d.assessments.length
      ? el("ul", { class: "assessments" }, d.assessments.map(assessmentNode))
      : el("p", { class: "muted", text: t("no_assessments") });
    $("assessments").replaceChildren(list);
  }

  function dataText(data) {
    return Object.entries(data || {})
      .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : value}`)
      .join(" · ");
  }

  function renderTimeline(d) {
    const head = el("tr", {}, [t("when"), t("who"), t("what"), t("change"), t("details")].map(
      (h) => el("th", { scope: "col", text: h })));
    const rows = d.timeline.map((e) => {
      const state = (code) => (code ? label("state", code) : "—");
      const change = e.from_state || e.to_state ? `${state(e.from_state)} → ${state(e.to_state)}` : "";
      return el("tr", { dataset: { kind: e.kind } },
        el("td", { class: "when" }, el("time", { datetime: e.occurred_at, text: fmtTime(e.occurred_at) })),
        el("td", {}, e.actor || "—", el("div", { class: "data", text: label("source", e.source) })),
        el("td", { text: label("kind", e.kind) }),
        el("td", { text: change }),
        el("td", {}, e.detail ? el("div", { text: e.detail }) : null,
          el("div", { class: "data", text: dataText(e.data) })));
    });
    $("timeline").replaceChildren(
      el("table", { class: "timeline" }, el("thead", {}, head), el("tbody", {}, rows)));
  }

  function render(d) {
    setBadge($("inc-priority"), d.priority);
    const status = $("inc-status");
    status.textContent = label("status", d.status);
    status.dataset.status = d.status;
    renderCase(d);
    renderPersons(d);
    $("prior").replaceChildren(priorTable(d));
    renderAssessments(d);
    renderTimeline(d);
    offerPriorities(d.priority);
    // Panels of other features (persons, trajectory, case facts) render from the same detail.
    document.dispatchEvent(new CustomEvent("incident:loaded", { detail: d }));
  }

  /* A dispatcher may only raise urgency: lower levels are not offered (a supervisor lowers). */
  function offerPriorities(current) {
    const supervisor = $("incident").dataset.supervisor === "1";
    const select = $("raise-priority");
    let first = null;
    for (const option of select.options) {
      const allowed = supervisor || option.value < current;
      option.hidden = option.disabled = !allowed;
      if (allowed && first === null) first = option.value;
    }
    select.value = supervisor ? current : first || current;
    $("raise").hidden = first === null;
  }

  async function load() {
    try {
      const [detail, list] = await Promise.all([
        api("GET", `/api/v1/incidents/${incidentId}`),
        api("GET", "/api/v1/instruments").catch(() => ({ items: [] })),
      ]);
      instruments = Object.fromEntries(list.items.map((i) => [i.id, i]));
      render(detail);
      setStatus(t("loaded", { time: fmtTime(new Date().toISOString()) }));
      root.dataset.loaded = "1";
    } catch (err) {
      setStatus(err.message, "error");
    }
  }

  async function raise(event) {
    event.preventDefault();
    const reason = $("raise-reason");
    try {
      await api("POST", `/api/v1/incidents/${incidentId}/priority`,
        { priority: $("raise-priority").value, reason: reason.value.trim() });
      reason.value = "";
      await load();
      setStatus(t("priority_changed"), "ok");
    } catch (err) {
      const fields = Object.entries(err.fields || {}).map(([k, v]) => `${k}: ${v}`).join("; ");
      setStatus(t("not_saved", { message: [err.message, fields].filter(Boolean).join(" ") }), "error");
    }
  }

  $("raise").addEventListener("submit", raise);
  // A person linked or unlinked (persons.js): the timeline and the repeat flag changed.
  document.addEventListener("persons:changed", () => load());
  load();
})();
