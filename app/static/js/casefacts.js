/* Nachtwacht incident page: the children and motives panel. Renders from the `incident:loaded`
 * event (detail = GET /api/v1/incidents/<id>) and corrects them with PATCH; after a correction
 * the page reloads, so every section (case, timeline) shows the stored state.
 * Loaded before api.js (the panel sits above the page scripts): window.NW is read when used. */
(function () {
  "use strict";
  const panel = document.getElementById("case-facts");
  if (!panel) return;
  const $ = (id) => document.getElementById(id);
  const form = $("cf-form");
  const SAVED_KEY = "nw-casefacts-saved"; // a flag only: no case data in the browser's storage
  let strings = null;
  let current = null; // the incident detail shown
  let dirty = false; // typed into the form since it was filled: a reload must not wipe it

  function t(key, vars) {
    if (strings === null) {
      try {
        strings = JSON.parse($("i18n-casefacts").textContent);
      } catch (err) {
        strings = {};
      }
    }
    let text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    for (const [name, value] of Object.entries(vars || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  function motiveName(code) {
    const names = t("motive_names");
    return (names && names[code]) || code.replace(/_/g, " ");
  }

  function yesNo(value) {
    if (value === true) return t("yes");
    if (value === false) return t("no");
    return t("unknown");
  }

  function setStatus(text, kind) {
    const node = $("cf-status");
    node.className = "form-status" + (kind ? ` status-${kind}` : "");
    node.textContent = text || "";
  }

  /* ---------- showing ---------- */

  function render(detail) {
    const { el } = window.NW;
    const c = detail.children || null;
    const row = (term, text, key) =>
      [el("dt", { text: term }), el("dd", { text, dataset: { fact: key } })];
    const dash = t("none_said");
    const motives = (detail.motives || []).map(motiveName).join(", ") || t("no_motives");
    $("cf-view").replaceChildren(
      ...row(t("count"), c && c.count !== null && c.count !== undefined ? String(c.count) : dash,
        "count"),
      ...row(t("ages"), c && (c.ages || []).length ? c.ages.join(", ") : dash, "ages"),
      ...row(t("present"), yesNo(c ? c.present : detail.children_present), "present"),
      ...row(t("at_risk"), yesNo(c ? c.at_risk : null), "at_risk"),
      ...row(t("motives"), motives, "motives"),
      ...fearRow(detail, row)
    );
    panel.classList.toggle("at-risk", Boolean(c && c.at_risk));
  }

  /* The victim's own fear is kept per screen (not corrected here): the latest one said. */
  function fearRow(detail, row) {
    const said = (detail.assessments || []).filter((a) => typeof a.victim_fear === "number");
    if (!said.length) return [];
    const latest = said.reduce((a, b) => (b.id > a.id ? b : a));
    return row(t("victim_fear"), t("victim_fear_value", { n: latest.victim_fear }), "victim_fear");
  }

  function check(name, value) {
    form.querySelectorAll(`input[name="${name}"]`).forEach((input) => {
      input.checked = input.value === value;
    });
  }

  function choiceOf(value) {
    if (value === true) return "yes";
    if (value === false) return "no";
    return null;
  }

  function fill(detail) {
    const c = detail.children || {};
    check("cf_present", choiceOf(c.present ?? detail.children_present));
    check("cf_at_risk", choiceOf(c.at_risk));
    $("cf-count").value = c.count ?? "";
    $("cf-ages").value = (c.ages || []).join(", ");
    const motives = new Set(detail.motives || []);
    form.querySelectorAll("input[name=cf_motives]").forEach((box) => {
      box.checked = motives.has(box.value);
    });
    dirty = false;
  }

  function onLoaded(event) {
    current = event.detail;
    render(current);
    if (!dirty) fill(current);
    panel.setAttribute("aria-busy", "false");
    panel.dataset.loaded = "1";
    if (sessionStorage.getItem(SAVED_KEY)) {
      sessionStorage.removeItem(SAVED_KEY);
      setStatus(t("saved"), "ok");
      $("h-case-facts").focus();
    }
  }

  /* ---------- correcting ---------- */

  let errorSeq = 0;

  function markError(target, message) {
    const { el } = window.NW;
    const id = `cf-err-${++errorSeq}`;
    target.classList.add("has-error");
    const control = target.matches("input") ? target : target.querySelector("input");
    if (target.matches("input")) target.setAttribute("aria-invalid", "true");
    target.insertAdjacentElement(target.matches("input") ? "afterend" : "beforeend",
      el("p", { class: "field-error", id, text: message }));
    const described = control.getAttribute("aria-describedby");
    control.setAttribute("aria-describedby", described ? `${described} ${id}` : id);
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach((note) => {
      form.querySelectorAll(`[aria-describedby~="${note.id}"]`).forEach((owner) => {
        const rest = owner.getAttribute("aria-describedby").split(" ").filter((x) => x !== note.id);
        if (rest.length) owner.setAttribute("aria-describedby", rest.join(" "));
        else owner.removeAttribute("aria-describedby");
      });
      note.remove();
    });
    form.querySelectorAll(".has-error").forEach((n) => n.classList.remove("has-error"));
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  }

  function radio(name) {
    const checked = form.querySelector(`input[name="${name}"]:checked`);
    return checked && checked.value !== "unknown" ? checked.value === "yes" : null;
  }

  /** The children object typed (null when nothing is said), or undefined when invalid. */
  function children() {
    const parts = $("cf-ages").value.split(/[\s,;/]+/).filter(Boolean);
    if (parts.some((p) => !/^\d{1,2}$/.test(p) || Number(p) > 17)) {
      markError($("cf-ages"), t("ages_invalid"));
      return undefined;
    }
    const raw = $("cf-count").value.trim();
    const out = { count: raw === "" ? null : Number(raw), ages: parts.map(Number),
      present: radio("cf_present"), at_risk: radio("cf_at_risk") };
    if (out.count !== null && out.ages.length > out.count) {
      markError($("cf-ages"), t("ages_over_count"));
      return undefined;
    }
    const said = out.count !== null || out.ages.length || out.present !== null ||
      out.at_risk !== null;
    return said ? out : null;
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  /** Only what changed: PATCH names each changed field on the timeline. */
  function changes() {
    const kids = children();
    if (kids === undefined) return undefined;
    const motives = [...form.querySelectorAll("input[name=cf_motives]:checked")].map((b) => b.value);
    const body = {};
    const before = current.children || null;
    const normal = (c) => c && { count: c.count ?? null, ages: c.ages || [],
      present: c.present ?? null, at_risk: c.at_risk ?? null };
    if (!same(normal(before), kids)) body.children = kids;
    if (!same([...(current.motives || [])].sort(), [...motives].sort())) body.motives = motives;
    return body;
  }

  const TARGETS = [
    [(n) => n === "children" || n.startsWith("children.ages"), "cf-ages"],
    [(n) => n === "children.count", "cf-count"],
    [(n) => n === "children.present" || n === "children_present", "cf-present"],
    [(n) => n === "children.at_risk", "cf-at-risk"],
    [(n) => n.startsWith("motives"), "cf-motives"],
  ];

  function showErrors(err) {
    const loose = [];
    for (const [name, problem] of Object.entries(err.fields || {})) {
      const hit = TARGETS.find(([match]) => match(name));
      const target = hit && $(hit[1]);
      if (target) markError(target, problem);
      else loose.push(`${name}: ${problem}`);
    }
    const message = [err.message, ...loose].join(" ");
    setStatus(loose.length || !form.querySelector(".has-error") ? t("not_saved", { message }) :
      t("fix_fields"), "error");
  }

  function focusFirstError() {
    const first = form.querySelector(".has-error");
    if (!first) return;
    (first.matches("input") ? first : first.querySelector("input")).focus();
  }

  async function save(event) {
    event.preventDefault();
    if (!current || form.getAttribute("aria-busy") === "true") return;
    clearErrors();
    const body = changes();
    if (body === undefined) {
      setStatus(t("fix_fields"), "error");
      focusFirstError();
      return;
    }
    if (!Object.keys(body).length) {
      setStatus(t("nothing_changed"));
      return;
    }
    form.setAttribute("aria-busy", "true");
    setStatus(t("saving"));
    try {
      await window.NW.api("PATCH", `/api/v1/incidents/${current.id}`, body);
      sessionStorage.setItem(SAVED_KEY, "1");
      dirty = false;
      window.location.reload(); // the case, the timeline and every panel show the stored state
    } catch (err) {
      form.setAttribute("aria-busy", "false");
      showErrors(err);
      focusFirstError();
    }
  }

  form.addEventListener("submit", save);
  form.addEventListener("input", () => {
    dirty = true;
  });
  form.addEventListener("change", (event) => {
    dirty = true;
    const holder = event.target.closest(".has-error");
    if (holder) holder.classList.remove("has-error");
    event.target.removeAttribute("aria-invalid");
  });
  document.addEventListener("incident:loaded", onLoaded);
})();
