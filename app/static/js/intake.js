/* Nachtwacht intake console: one keyboard-operable call form with the risk screen inline.
 * Enter: next field; 1/2/3 on a question: yes/no/don't know; Ctrl+Enter: save; Alt+N: new call.
 * Every server value is put in the page with textContent (NW.el), never as HTML. */
(function () {
  "use strict";
  const { api, badge, el, label, localText, mostUrgent, priorTable, recommendationList, setBadge, t, uuid } =
    window.NW;

  const form = document.getElementById("intake");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const BASE_PRIORITY = form.dataset.basePriority || "P3";
  // Inside the console's intake panel: the console owns Alt+N, and "save and assign" hands the
  // saved call back to it (window.NWConsole.intake.saved).
  const EMBEDDED = form.dataset.embedded === "1";
  const newCallButton = form.querySelector('[data-action="new-call"]');
  const INSTRUMENTS = ["immediate-danger", "dash", "lap"];
  const IMMEDIATE = "immediate-danger";
  const ANSWERS = ["yes", "no", "unknown"];

  const state = {
    key: uuid(), // Idempotency-Key of this call: a double submit never makes two incidents
    incident: null, // the saved incident (detail) once the call is stored
    instruments: {},
    previews: {},
    previewSeq: {},
    stored: {}, // instrument id -> signature of the answers last stored
    busy: false,
    discardUntil: 0,
    personSeq: 1,
    storedFear: null, // the victim's own fear last stored with a screen
  };

  /* ---------- questions ---------- */

  function shortTitle(id) {
    return id === IMMEDIATE ? t("why_flags") : id.toUpperCase();
  }

  function ruleText(inst) {
    if (inst.model === "count_threshold" || inst.model === "weighted_bins") {
      const bands = inst.bands.map((b) => {
        const name = label("level", b.level);
        if (b.min === undefined || b.min === null) return `${name} ≤ ${b.max}`;
        if (b.max === undefined || b.max === null) return `${name} ≥ ${b.min}`;
        return `${name} ${b.min}–${b.max}`;
      });
      return t("rule_count", { bands: bands.join(" · ") });
    }
    if (inst.model === "trigger_or_count") {
      const top = inst.levels[inst.levels.length - 1];
      return t("rule_trigger", { n: inst.params.count_threshold, level: label("level", top) });
    }
    return "";
  }

  function questionNode(inst, item, index) {
    const qid = `q-${inst.id}-${item.id}`;
    const choices = ANSWERS.map((value, n) =>
      el(
        "label",
        { class: `choice choice-${value}` },
        el("input", { type: "radio", name: `${inst.id}:${item.id}`, value: value,
          "aria-keyshortcuts": String(n + 1) }),
        el("span", { text: t("ans_" + value) }),
        el("kbd", { class: "key", "aria-hidden": "true", text: String(n + 1) })
      )
    );
    const legend = el(
      "legend",
      {},
      el("span", { class: "q-no", text: `${index + 1}.` }),
      " ",
      localText(item.text),
      item.trigger ? el("span", { class: "tag trigger", text: t("trigger") }) : null
    );
    return el(
      "fieldset",
      { class: "q", id: qid, dataset: { instrument: inst.id, item: item.id } },
      legend,
      el("div", { class: "choices" }, choices)
    );
  }

  function renderInstrument(id) {
    const inst = state.instruments[id];
    const list = form.querySelector(`.q-list[data-instrument="${id}"]`);
    if (!inst || !list) return;
    form.querySelectorAll(`[data-title-for="${id}"]`).forEach((n) => {
      n.textContent = localText(inst.title);
    });
    const rule = form.querySelector(`[data-rule-for="${id}"]`);
    if (rule) rule.textContent = ruleText(inst);
    list.replaceChildren(...inst.items.map((item, i) => questionNode(inst, item, i)));
  }

  async function loadInstruments() {
    try {
      const data = await api("GET", "/api/v1/instruments");
      for (const inst of data.items) state.instruments[inst.id] = inst;
      INSTRUMENTS.forEach(renderInstrument);
    } catch (err) {
      form.querySelectorAll(".q-list").forEach((list) =>
        list.replaceChildren(el("p", { class: "error", role: "alert", text: t("instruments_failed") }))
      );
    }
    refresh();
  }

  /* ---------- answers, counts, priority ---------- */

  function answers(id) {
    const out = {};
    form.querySelectorAll(`input[type=radio][name^="${id}:"]:checked`).forEach((radio) => {
      out[radio.name.slice(id.length + 1)] = radio.value;
    });
    return out;
  }

  function fullAnswers(id) {
    const given = answers(id);
    const out = {};
    for (const item of state.instruments[id].items) out[item.id] = given[item.id] || "unknown";
    return out;
  }

  function signature(id) {
    return JSON.stringify(Object.entries(answers(id)).sort());
  }

  function counts(id) {
    const inst = state.instruments[id];
    const given = Object.values(answers(id));
    const total = inst ? inst.items.length : 0;
    const yes = given.filter((v) => v === "yes").length;
    const unknown = total - given.length + given.filter((v) => v === "unknown").length;
    return { answered: given.length, total, yes, unknown };
  }

  function updateCounts() {
    for (const id of INSTRUMENTS) {
      if (!state.instruments[id]) continue;
      const text = t("counts", counts(id));
      form.querySelectorAll(`[data-counts-for="${id}"]`).forEach((n) => {
        n.textContent = text;
      });
    }
  }

  function flagsYes() {
    return Object.entries(answers(IMMEDIATE))
      .filter(([, value]) => value === "yes")
      .map(([item]) => item);
  }

  function priorityParts() {
    const parts = [];
    if (state.incident) {
      parts.push({ priority: state.incident.priority, text: state.incident.reference, source: "saved" });
    } else {
      parts.push({ priority: BASE_PRIORITY, text: t("why_base"), source: "base" });
      const flags = flagsYes();
      if (flags.length) {
        const text = `${t("why_flags")}: ${flags.length}× ${t("ans_yes")}`;
        parts.push({ priority: "P1", text, source: IMMEDIATE, level: "immediate" });
      }
    }
    for (const id of ["dash", "lap"]) {
      const preview = state.previews[id];
      if (!preview || !counts(id).answered) continue;
      const text = t("why_instrument", { title: shortTitle(id), level: label("level", preview.level) });
      parts.push({ priority: preview.priority, text, source: id, level: preview.level });
    }
    return parts;
  }

  function updatePriority() {
    const parts = priorityParts();
    const top = mostUrgent(...parts.map((p) => p.priority));
    setBadge($("prio-badge"), top);
    $("prio-why").replaceChildren(
      ...parts.map((p) =>
        el(
          "span",
          {
            class: "why-chip" + (p.priority === top ? " decisive" : ""),
            dataset: { source: p.source, level: p.level || "", priority: p.priority },
          },
          `${p.text} → ${p.priority}`
        )
      )
    );
  }

  const previewTimers = {};

  function schedulePreview(id) {
    clearTimeout(previewTimers[id]);
    previewTimers[id] = setTimeout(() => runPreview(id), 200);
  }

  async function runPreview(id) {
    const seq = (state.previewSeq[id] || 0) + 1;
    state.previewSeq[id] = seq;
    const given = answers(id);
    if (!Object.keys(given).length) {
      state.previews[id] = null;
      updatePriority();
      return;
    }
    try {
      const url = `/api/v1/instruments/${encodeURIComponent(id)}/preview`;
      const result = await api("POST", url, { answers: given, partial: true });
      if (state.previewSeq[id] !== seq) return; // an older answer set: a newer call is on its way
      state.previews[id] = result;
    } catch (err) {
      if (state.previewSeq[id] !== seq) return;
      state.previews[id] = null;
      setStatus(err.status === 401 ? err.message : t("preview_failed"), "warn");
    }
    updatePriority();
  }

  function refresh() {
    updateCounts();
    updatePriority();
    $("save-label").textContent = state.incident ? t("save_screen") : t("save_call");
  }

  /* ---------- keyboard ---------- */

  function visible(node) {
    return !!(node.offsetWidth || node.offsetHeight || node.getClientRects().length);
  }

  /** The Enter stops in DOM order: fields, one stop per radio group, the LAP toggle, save. */
  function stops() {
    const seen = new Set();
    const out = [];
    const nodes = form.querySelectorAll("input, select, textarea, summary, .form-actions .save");
    for (const node of nodes) {
      if (node.type === "hidden" || node.matches(":disabled") || !visible(node)) continue;
      if (node.type === "radio") {
        if (seen.has(node.name)) continue;
        seen.add(node.name);
        const checked = form.querySelector(`input[name="${CSS.escape(node.name)}"]:checked`);
        out.push(checked || node);
      } else {
        out.push(node);
      }
    }
    return out;
  }

  function focusNext(from) {
    const list = stops();
    const index = list.findIndex(
      (n) => n === from || (from.type === "radio" && n.type === "radio" && n.name === from.name)
    );
    const next = list[index + 1];
    if (next) next.focus();
  }

  function answerByKey(event) {
    const value = ANSWERS[Number(event.key) - 1];
    const name = CSS.escape(event.target.name);
    const radio = form.querySelector(`input[type=radio][name="${name}"][value="${value}"]`);
    if (!radio) return;
    event.preventDefault();
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    focusNext(radio);
  }

  function onKeydown(event) {
    const target = event.target;
    if (!EMBEDDED && event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyN") {
      event.preventDefault();
      newCall();
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (target.closest && target.closest("form") && !form.contains(target)) return;
      if (EMBEDDED && !form.contains(target)) return; // the console's own keys elsewhere
      event.preventDefault();
      submit(event.shiftKey && EMBEDDED ? "assign" : "save");
      return;
    }
    if (!form.contains(target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Enter" && !event.shiftKey) {
      if (target.tagName === "INPUT" || target.tagName === "SELECT") {
        event.preventDefault(); // never submit half a call: move on instead
        focusNext(target);
      } else if (target.tagName === "SUMMARY" && !target.parentElement.open) {
        event.preventDefault(); // open the optional screen and go to its first question
        target.parentElement.open = true;
        const first = target.parentElement.querySelector("input");
        if (first) first.focus();
      }
      return;
    }
    if (target.type === "radio" && ["1", "2", "3"].includes(event.key)) answerByKey(event);
  }

  /* ---------- the call body and errors ---------- */

  function value(id) {
    return $(id).value.trim();
  }

  const PERSON_FIELDS = ["name", "age", "language", "phone", "birth_year"];
  const PERSON_NUMBERS = ["age", "birth_year"];

  /** The persons of the call: a row's typed fields (empty ones left out); the victim always. */
  function personRows() {
    const payload = [];
    for (const row of $("persons").querySelectorAll(".person")) {
      const get = (name) => row.querySelector(`[name="${name}"]`);
      const person = { role: get("role").value };
      for (const field of PERSON_FIELDS) {
        const typed = get(field).value.trim();
        if (typed === "") continue;
        if (PERSON_NUMBERS.includes(field)) person[field] = Number(typed);
        else person[field] = field === "language" ? typed.toLowerCase() : typed;
      }
      const keep = person.role === "victim" || Object.keys(person).length > 1;
      for (const field of PERSON_FIELDS) {
        get(field).dataset.field = keep ? `persons.${payload.length}.${field}` : "";
      }
      if (keep) payload.push(person);
    }
    return payload;
  }

  function collectCall() {
    const body = { persons: personRows(), flags: flagsYes(), requested_skills: [] };
    if (value("address")) body.address = value("address");
    if (value("access_notes")) body.access_notes = value("access_notes");
    if (value("caller_phone")) body.caller_phone = value("caller_phone");
    const lat = value("lat");
    const lon = value("lon");
    if ((lat === "") !== (lon === "")) {
      markError($(lat === "" ? "lat" : "lon"), t("lat_lon_together"));
      return null;
    }
    if (lat !== "") Object.assign(body, { lat: Number(lat), lon: Number(lon) });
    const children = childrenPayload();
    if (children === null) return null;
    if (children) body.children = children;
    form.querySelectorAll("input[name=requested_skills]:checked").forEach((box) => {
      body.requested_skills.push(box.value);
    });
    const motives = [...form.querySelectorAll("input[name=motives]:checked")].map((b) => b.value);
    if (motives.length) body.motives = motives;
    if (value("narrative")) body.narrative = value("narrative");
    return body;
  }

  /* ---------- children and the victim's own fear ---------- */

  function choice(name) {
    const checked = form.querySelector(`input[name="${name}"]:checked:not(:disabled)`);
    if (!checked || checked.value === "unknown") return null;
    return checked.value === "yes";
  }

  /** "4, 7" → [4, 7]; null (and the field marked) when a part is no age from 0 to 17. */
  function parseAges() {
    const input = $("children-ages");
    const parts = input.disabled ? [] : input.value.split(/[\s,;/]+/).filter(Boolean);
    if (parts.some((p) => !/^\d{1,2}$/.test(p) || Number(p) > 17)) {
      markError(input, t("ages_invalid"));
      return null;
    }
    return parts.map(Number);
  }

  /** The `children` object of the call; undefined when nothing was said, null when invalid. */
  function childrenPayload() {
    const ages = parseAges();
    if (ages === null) return null;
    const count = value("children-count");
    const out = { ages, present: choice("children_present"), at_risk: choice("children_at_risk") };
    if (count !== "") out.count = Number(count);
    if (out.count !== undefined && ages.length > out.count) {
      markError($("children-ages"), t("ages_over_count"));
      return null;
    }
    const said = out.count !== undefined || ages.length || out.present !== null || out.at_risk !== null;
    return said ? out : undefined;
  }

  /* No children: their ages and risk are not asked (and Enter skips them). */
  function updateChildren() {
    const none = value("children-count") === "0";
    $("children-ages").disabled = none;
    $("children-at-risk").disabled = none;
  }

  /** The fear typed (0–10), undefined when empty, null (and marked) when invalid. */
  function fearValue(mark) {
    const raw = value("victim-fear");
    if (raw === "") return undefined;
    if (!/^\d{1,2}$/.test(raw) || Number(raw) > 10) {
      if (mark) markError($("victim-fear"), t("victim_fear_invalid"));
      return null;
    }
    return Number(raw);
  }

  function fearPending() {
    const fear = fearValue(false);
    return typeof fear === "number" && fear !== state.storedFear;
  }

  let errorSeq = 0;

  function markError(target, message) {
    target.classList.add("has-error");
    const control = target.matches("input, select, textarea") ? target : null;
    if (control) control.setAttribute("aria-invalid", "true");
    const id = `err-${++errorSeq}`;
    const note = el("p", { class: "field-error", id, text: message });
    if (control) control.insertAdjacentElement("afterend", note);
    else target.append(note);
    const owner = control || target;
    const described = owner.getAttribute("aria-describedby");
    owner.setAttribute("aria-describedby", described ? `${described} ${id}` : id);
  }

  function clearErrors() {
    document.querySelectorAll(".field-error").forEach((note) => {
      document.querySelectorAll(`[aria-describedby~="${note.id}"]`).forEach((owner) => {
        const rest = owner.getAttribute("aria-describedby").split(" ").filter((x) => x !== note.id);
        if (rest.length) owner.setAttribute("aria-describedby", rest.join(" "));
        else owner.removeAttribute("aria-describedby");
      });
      note.remove();
    });
    form.querySelectorAll(".has-error").forEach((n) => n.classList.remove("has-error"));
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  }

  function errorTarget(name, instrument) {
    if (instrument && name.startsWith("answers.")) {
      return $(`q-${instrument}-${name.slice("answers.".length)}`);
    }
    if (name === "flags" || name.startsWith("flags.")) return $(IMMEDIATE);
    if (name.startsWith("requested_skills")) return $("skills");
    // "children" alone: the check that there are no more ages than children
    if (name === "children" || name.startsWith("children.ages")) return $("children-ages");
    if (name === "children_present") return $("children-present");
    if (name.startsWith("motives")) return $("motives") || $("children-block");
    return form.querySelector(`[data-field="${CSS.escape(name)}"]`);
  }

  /** Put each `fields` problem next to its input; return the problems with no place. */
  function showFieldErrors(fields, instrument) {
    const loose = [];
    for (const [name, problem] of Object.entries(fields || {})) {
      const target = errorTarget(name, instrument);
      if (target) markError(target, problem);
      else loose.push(`${name}: ${problem}`);
    }
    return loose;
  }

  function focusFirstError() {
    const first = form.querySelector(".has-error");
    if (!first) return;
    const control = first.matches("input, select, textarea") ? first : first.querySelector("input");
    (control || first).focus();
  }

  function setStatus(text, kind) {
    const node = $("form-status");
    node.className = "form-status" + (kind ? ` status-${kind}` : "");
    node.textContent = text || "";
  }

  /* ---------- saving ---------- */

  function needsStoring(id) {
    if (!state.incident || !state.instruments[id]) return false;
    if (id === IMMEDIATE) return state.stored[id] === undefined; // asked on every call
    return counts(id).answered > 0 && state.stored[id] !== signature(id);
  }

  /** The screens to store now; the victim's fear alone stores its screen again (a new version). */
  function pendingScreens() {
    const ids = INSTRUMENTS.filter(needsStoring);
    const again = state.stored.dash !== undefined ? "dash" : IMMEDIATE;
    if (!ids.length && state.incident && fearPending() && state.instruments[again]) ids.push(again);
    return ids;
  }

  /** The fear goes with the DASH screen, else with the first screen stored. */
  function fearGoesWith(ids) {
    return ids.includes("dash") ? "dash" : ids[0];
  }

  async function storeAssessment(id, fear) {
    const sig = signature(id);
    const url = `/api/v1/incidents/${state.incident.id}/assessments`;
    const body = { instrument: id, answers: fullAnswers(id) };
    if (typeof fear === "number") body.victim_fear = fear;
    const result = await api("POST", url, body);
    state.stored[id] = sig;
    if (typeof fear === "number") state.storedFear = fear;
    state.incident.priority = result.incident_priority;
    return result;
  }

  function lockCall() {
    $("step-call").disabled = true;
    $("step-call").classList.add("locked");
    const saved = $("saved-as");
    saved.hidden = false;
    saved.replaceChildren(
      el("a", { href: `/incidents/${state.incident.id}`, text: state.incident.reference })
    );
  }

  async function createIncident(body) {
    state.incident = await api("POST", "/api/v1/incidents", body, { "Idempotency-Key": state.key });
    lockCall();
  }

  async function submit(mode) {
    if (state.busy) return;
    const handBack = mode === "assign" && EMBEDDED && window.NWConsole && window.NWConsole.intake;
    clearErrors();
    const body = state.incident ? null : collectCall();
    const fear = fearValue(true);
    if ((!state.incident && body === null) || fear === null) {
      setStatus(t("fix_fields"), "error");
      focusFirstError();
      return;
    }
    const pending = pendingScreens;
    if (state.incident && !pending().length && $("result").dataset.shown) {
      if (handBack) window.NWConsole.intake.saved(state.incident);
      else setStatus(t("nothing_new"));
      return;
    }
    setBusy(true);
    let current = null;
    try {
      if (!state.incident) await createIncident(body);
      const ids = pending();
      const withFear = fearPending() ? fearGoesWith(ids) : null;
      for (const id of ids) {
        current = id;
        await storeAssessment(id, id === withFear ? fear : undefined);
      }
      current = null;
      await reloadResult(!handBack);
      if (handBack) window.NWConsole.intake.saved(state.incident);
    } catch (err) {
      showSaveError(err, current);
    } finally {
      setBusy(false);
      refresh();
    }
  }

  function setBusy(busy) {
    state.busy = busy;
    form.setAttribute("aria-busy", busy ? "true" : "false");
    form.querySelectorAll("button[type=submit]").forEach((b) => {
      b.disabled = busy;
    });
    if (busy) setStatus(t("saving"));
  }

  function showSaveError(err, instrument) {
    const loose = err.status === 422 ? showFieldErrors(err.fields, instrument) : [];
    const message = loose.length ? `${err.message} ${loose.join("; ")}` : err.message;
    const marked = form.querySelector(".has-error");
    setStatus(marked && !loose.length ? t("fix_fields") : t("not_saved", { message }), "error");
    focusFirstError();
  }

  async function reloadResult(moveFocus) {
    const first = !$("result").dataset.shown;
    const detail = await api("GET", `/api/v1/incidents/${state.incident.id}`);
    state.incident = detail;
    renderResult(detail);
    setStatus(first ? t("saved_as", { reference: detail.reference }) : t("saved_screen"), "ok");
    if (moveFocus === false) return;
    if (first && !counts("dash").answered) {
      // the victim's own fear first (the screen's first question once it is given)
      const fear = $("victim-fear");
      const next = fear.value.trim() === "" ? fear : $("step-risk").querySelector(".q input");
      if (next) next.focus();
    } else {
      $("result-title").focus();
    }
  }

  /* ---------- the saved call ---------- */

  function latestAssessments(detail) {
    const latest = {};
    for (const a of detail.assessments || []) {
      const seen = latest[a.instrument];
      if (!seen || a.assessment_version > seen.assessment_version) latest[a.instrument] = a;
    }
    return INSTRUMENTS.filter((id) => latest[id])
      .map((id) => latest[id])
      .concat(Object.values(latest).filter((a) => !INSTRUMENTS.includes(a.instrument)));
  }

  function summaryList(detail) {
    const quality = detail.location_quality;
    const where = [detail.district, detail.postcode].filter(Boolean).join(" · ");
    return el(
      "dl",
      { class: "facts" },
      el("div", {}, el("dt", { text: t("reference") }),
        el("dd", {}, el("strong", { class: "reference", text: detail.reference }))),
      el("div", {}, el("dt", { text: t("priority") }), el("dd", {}, badge(detail.priority))),
      el("div", {}, el("dt", { text: t("location") }),
        el("dd", {}, el("span", { class: `quality quality-${quality}`, dataset: { quality },
          text: label("quality", quality) }), where ? ` · ${where}` : "")),
      ...caseFacts(detail)
    );
  }

  const known = (v) => v !== null && v !== undefined && v !== "";

  /** One person as saved: role, name, age, birth year and own phone (what finds earlier calls). */
  function personText(p) {
    return [
      label("role", p.role),
      p.name,
      known(p.age) ? t("person_age", { age: p.age }) : null,
      known(p.birth_year) ? t("person_born", { year: p.birth_year }) : null,
      known(p.phone) ? t("person_phone", { phone: p.phone }) : null,
      known(p.language) ? t("person_language", { language: p.language }) : null,
    ].filter(Boolean).join(" · ");
  }

  /** The persons the call names (a victim row left empty is not shown). */
  function personsFact(detail) {
    const said = (detail.persons || []).filter((p) => PERSON_FIELDS.some((k) => known(p[k])));
    if (!said.length) return null;
    return el("div", { class: "fact-persons" }, el("dt", { text: t("persons") }),
      el("dd", {}, el("ul", { class: "person-facts" },
        said.map((p) => el("li", { dataset: { role: p.role }, text: personText(p) })))));
  }

  /** Persons, children, motives and the victim's own fear of the saved call, when said. */
  function caseFacts(detail) {
    const fact = (key, text) => el("div", { class: `fact-${key}` },
      el("dt", { text: t(key) }), el("dd", { text }));
    const out = [];
    const persons = personsFact(detail);
    if (persons) out.push(persons);
    const kids = childrenText(detail.children);
    if (kids) out.push(fact("children", kids));
    if ((detail.motives || []).length) {
      out.push(fact("motives", detail.motives.map((m) => label("motive", m)).join(", ")));
    }
    const feared = (detail.assessments || []).filter((a) => a.victim_fear !== null &&
      a.victim_fear !== undefined).sort((a, b) => a.id - b.id).pop();
    if (feared) out.push(fact("victim_fear", t("victim_fear_value", { n: feared.victim_fear })));
    return out;
  }

  function childrenText(c) {
    if (!c) return "";
    if (c.count === 0) return t("children_none");
    const parts = [];
    if (c.count === 1) parts.push(t("children_count_one"));
    else parts.push(c.count ? t("children_count", { n: c.count }) : t("children_count_unknown"));
    if ((c.ages || []).length) parts.push(t("children_ages", { ages: c.ages.join(", ") }));
    if (c.present !== null && c.present !== undefined) {
      parts.push(t(c.present ? "children_present_yes" : "children_present_no"));
    }
    if (c.at_risk !== null && c.at_risk !== undefined) {
      parts.push(t(c.at_risk ? "children_at_risk_yes" : "children_at_risk_no"));
    }
    return parts.join(" · ");
  }

  function pointForm(detail) {
    const box = el("div", { class: "warning", role: "alert" },
      el("p", {}, el("strong", { text: t("location_warning") })));
    const field = (id, text, min, max) =>
      el("div", { class: "field narrow-field" }, el("label", { for: id, text }),
        el("input", { id, type: "number", step: "any", min, max, inputmode: "decimal", required: true }));
    const pform = el("form", { class: "set-point", novalidate: true },
      field("point-lat", t("latitude"), "-90", "90"),
      field("point-lon", t("longitude"), "-180", "180"),
      el("button", { type: "submit", class: "secondary", text: t("set_point") }));
    pform.addEventListener("submit", (event) => {
      event.preventDefault();
      setPoint(detail, pform);
    });
    box.append(pform);
    return box;
  }

  async function setPoint(detail, pform) {
    const lat = $("point-lat").value.trim();
    const lon = $("point-lon").value.trim();
    pform.querySelectorAll(".field-error").forEach((n) => n.remove());
    if (lat === "" || lon === "") {
      markError($(lat === "" ? "point-lat" : "point-lon"), t("lat_lon_together"));
      return;
    }
    try {
      await api("PATCH", `/api/v1/incidents/${detail.id}`, { lat: Number(lat), lon: Number(lon) });
      await reloadResult();
      setStatus(t("point_set"), "ok");
    } catch (err) {
      for (const [name, problem] of Object.entries(err.fields || {})) {
        const input = name === "lon" ? $("point-lon") : $("point-lat");
        markError(input, problem);
      }
      setStatus(t("not_saved", { message: err.message }), "error");
    }
  }

  function assessmentNode(a) {
    const inst = state.instruments[a.instrument];
    return el(
      "li",
      { class: "assessment", dataset: { instrument: a.instrument, level: a.level } },
      el("div", { class: "assessment-head" },
        el("strong", { text: inst ? localText(inst.title) : a.instrument }), " ",
        el("span", { class: `level level-${a.level}`, text: label("level", a.level) }), " ",
        badge(a.priority)),
      el("div", { class: "muted", text:
        `${t("score")} ${a.score} · ${t("unknown_count", { n: a.unknown_count })}` }),
      el("ul", { class: "reasons" }, a.reasons.map((r) => el("li", { text: r })))
    );
  }

  function renderResult(detail) {
    const result = $("result");
    const assessments = latestAssessments(detail);
    $("result-title").textContent = t("saved_title");
    const parts = [summaryList(detail)];
    if (detail.location_quality === "unverified") parts.push(pointForm(detail));
    parts.push(
      el("h3", { text: t("recommendations") }), recommendationList(assessments),
      el("h3", { text: t("assessments") }),
      el("ul", { class: "assessments" }, assessments.map(assessmentNode)),
      el("h3", { text: t("prior") }), priorTable(detail),
      el("p", {}, el("a", { class: "open-incident", href: `/incidents/${detail.id}`,
        text: t("open_incident") }))
    );
    if (!counts("dash").answered) parts.push(el("p", { class: "hint", text: t("continue_screen") }));
    $("result-body").replaceChildren(...parts);
    result.hidden = false;
    result.dataset.shown = "1";
    result.dataset.reference = detail.reference;
    // Panels of other features (persons, trajectory) follow the saved call from here.
    form.dispatchEvent(new CustomEvent("intake:saved", { detail }));
  }

  /* ---------- new call ---------- */

  function callHasInput() {
    for (const node of $("step-call").querySelectorAll("input, textarea")) {
      if (node.type === "hidden") continue;
      if ((node.type === "radio" || node.type === "checkbox") ? node.checked : node.value.trim()) {
        return true;
      }
    }
    return INSTRUMENTS.some((id) => counts(id).answered > 0);
  }

  function hasUnsaved() {
    if (!state.incident) return callHasInput() || value("victim-fear") !== "";
    return INSTRUMENTS.some((id) => id !== IMMEDIATE && needsStoring(id)) || fearPending();
  }

  function newCall() {
    if (state.busy) return;
    if (hasUnsaved() && Date.now() > state.discardUntil) {
      state.discardUntil = Date.now() + 5000;
      setStatus(t("unsaved_confirm"), "warn");
      return;
    }
    state.discardUntil = 0;
    form.reset();
    $("persons").querySelectorAll(".person:not([data-index='0'])").forEach((row) => row.remove());
    clearErrors();
    Object.assign(state, { key: uuid(), incident: null, previews: {}, stored: {}, storedFear: null });
    updateChildren();
    INSTRUMENTS.forEach((id) => {
      state.previewSeq[id] = (state.previewSeq[id] || 0) + 1; // drop answers still in flight
    });
    $("step-call").disabled = false;
    $("step-call").classList.remove("locked");
    $("saved-as").hidden = true;
    $("result").hidden = true;
    delete $("result").dataset.shown;
    $("lap-details").open = false;
    form.querySelectorAll(".q.answered").forEach((q) => q.classList.remove("answered"));
    refresh();
    setStatus(t("new_call_ready"));
    if (EMBEDDED) form.closest(".drawer").scrollTop = 0;
    else window.scrollTo(0, 0);
    $("address").focus();
    form.dispatchEvent(new CustomEvent("intake:reset"));
  }

  /* ---------- persons ---------- */

  function addPerson() {
    const row = $("person-template").content.firstElementChild.cloneNode(true);
    const n = state.personSeq++;
    row.querySelectorAll("[data-id]").forEach((node) => {
      node.id = `p${n}-${node.dataset.id}`;
    });
    row.querySelectorAll("label[data-for]").forEach((node) => {
      node.htmlFor = `p${n}-${node.dataset.for}`;
    });
    const remove = row.querySelector(".remove-person");
    remove.setAttribute("aria-label", t("remove_person", { n: n + 1 }));
    remove.addEventListener("click", () => {
      row.remove();
      $("add-person").focus();
    });
    $("persons").append(row);
    row.querySelector("select").focus();
  }

  /* ---------- wiring ---------- */

  function onChange(event) {
    const target = event.target;
    if (target.type === "radio") {
      const q = target.closest(".q");
      if (q) q.classList.add("answered");
      const id = q && q.dataset.instrument;
      if (id === IMMEDIATE) updatePriority();
      else if (id) schedulePreview(id);
      updateCounts();
    }
    if (target.id === "children-count") updateChildren();
    if (target.classList.contains("has-error") || target.closest(".has-error")) {
      const holder = target.closest(".has-error") || target;
      holder.classList.remove("has-error");
      holder.removeAttribute("aria-invalid");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  form.addEventListener("change", onChange);
  $("children-count").addEventListener("input", updateChildren);
  document.addEventListener("keydown", onKeydown);
  $("add-person").addEventListener("click", addPerson);
  newCallButton.addEventListener("click", newCall);
  const saveAssign = document.getElementById("save-assign");
  if (saveAssign) saveAssign.addEventListener("click", () => submit("assign"));
  window.addEventListener("beforeunload", (event) => {
    if (hasUnsaved()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // The top bar's "New call" link has accesskey="n" (Alt+N in Chromium): here Alt+N is handled
  // in the page, which keeps the unsaved-call guard instead of reloading the form.
  document.querySelectorAll('a[accesskey="n"], a[accesskey="N"]').forEach((link) => {
    link.removeAttribute("accesskey");
  });
  refresh();
  loadInstruments();
  window.NWIntake = { newCall, submit, hasUnsaved, saved: () => state.incident };
})();
