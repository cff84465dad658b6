/* Nachtwacht: shared helpers for the console pages (fetch, DOM, strings, priorities, views).
 * Loaded before the page scripts; exposes window.NW. Builds DOM with textContent only. */
(function () {
  "use strict";

  const PRIORITIES = ["P1", "P2", "P3", "P4"];

  /** An API error in the JSON shape {error, message, fields}. */
  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || "HTTP " + status);
      this.status = status;
      this.code = (body && body.error) || "error";
      this.fields = (body && body.fields) || {};
    }
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /** Call the JSON API with the session cookie; state-changing calls carry the CSRF token. */
  async function api(method, url, body, headers) {
    const opts = {
      method: method,
      credentials: "same-origin",
      headers: Object.assign({ Accept: "application/json" }, headers || {}),
    };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (method !== "GET") opts.headers["X-CSRFToken"] = csrfToken();
    let resp;
    try {
      resp = await fetch(url, opts);
    } catch (err) {
      throw new ApiError(0, { error: "network", message: t("network_error") });
    }
    let data = null;
    try {
      data = await resp.json();
    } catch (err) {
      data = null;
    }
    if (!resp.ok) {
      const error = new ApiError(resp.status, data || {});
      if (resp.status === 401) error.message = t("session_expired");
      throw error;
    }
    return data;
  }

  /** Create an element: attrs may hold class, text, dataset, hidden and plain attributes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "hidden") node.hidden = true;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  let strings = null;

  /** A translated string from the page's #i18n block; {name} placeholders are filled in. */
  function t(key, vars) {
    if (strings === null) {
      const block = document.getElementById("i18n");
      try {
        strings = block ? JSON.parse(block.textContent) : {};
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

  /** The page language ("nl" or "en"). */
  function lang() {
    return (document.documentElement.lang || "nl").toLowerCase().startsWith("en") ? "en" : "nl";
  }

  /** Pick the page language out of a {nl, en} text. */
  function localText(texts) {
    if (!texts) return "";
    return texts[lang()] || texts.nl || texts.en || "";
  }

  /** A UTC timestamp shown as Brussels wall-clock time. */
  function fmtTime(iso) {
    if (!iso) return "—";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    return date.toLocaleString("nl-BE", { timeZone: "Europe/Brussels" });
  }

  /** The most urgent of the given priorities (P1 beats P4); null when none is given. */
  function mostUrgent(...priorities) {
    const known = priorities.filter((p) => PRIORITIES.includes(p));
    if (!known.length) return null;
    return known.reduce((a, b) => (PRIORITIES.indexOf(a) <= PRIORITIES.indexOf(b) ? a : b));
  }

  /** Show a priority on a badge element: colour and words, never colour alone. */
  function setBadge(node, priority) {
    PRIORITIES.concat("none").forEach((p) => node.classList.remove("prio-" + p));
    node.classList.add("prio", "prio-" + (priority || "none"));
    node.dataset.priority = priority || "";
    node.replaceChildren(
      el("span", { class: "prio-code", text: priority || "—" }),
      el("span", { class: "prio-words", text: priority ? t("priority_" + priority) : "" })
    );
  }

  /** A badge element for a priority. */
  function badge(priority) {
    const node = el("span", { class: "prio" });
    setBadge(node, priority);
    return node;
  }

  /** A random UUID (v4), also where crypto.randomUUID is unavailable (plain http). */
  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return [0, 8, 12, 16, 20].map((i, n, a) => hex.slice(i, a[n + 1] || 32)).join("-");
  }

  /** A human label for a code (level, status, role, skill...), falling back to the code. */
  function label(prefix, code) {
    const key = prefix + "_" + code;
    const text = t(key);
    return text === key ? String(code).replace(/_/g, " ") : text;
  }

  /** How sure an incident's point is, e.g. "± 35 m, 2 min oud, bron: AML" (null: unknown). */
  function fixText(d) {
    const parts = [];
    if (d.location_accuracy_m) parts.push(t("fix_accuracy", { m: Math.round(d.location_accuracy_m) }));
    if (d.location_at) {
      const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(d.location_at)) / 60000));
      parts.push(t("fix_age", { min: minutes }));
    }
    if (d.location_source) parts.push(t("fix_source", { source: label("fixsource", d.location_source) }));
    return parts.length ? parts.join(", ") : null;
  }

  /* Views shared by the intake and incident pages. */

  /** Recommendations of several assessments, merged by code, each with its one-line reasons. */
  function recommendationList(assessments) {
    const merged = new Map();
    for (const a of assessments) {
      for (const rec of a.recommendations || []) {
        const key = `${rec.code}:${rec.theme || ""}`;
        if (!merged.has(key)) merged.set(key, { rec, reasons: [] });
        const reasons = merged.get(key).reasons;
        if (!reasons.includes(rec.reason)) reasons.push(rec.reason);
      }
    }
    const general = (entry) => (entry.rec.code === "offer_victim_support" ? 1 : 0); // goes last
    const entries = [...merged.values()].sort((a, b) => general(a) - general(b));
    return el("ul", { class: "recommendations" }, entries.map(({ rec, reasons }) =>
      el("li", { dataset: { code: rec.code } },
        el("span", { class: "rec-text", text: localText(rec.text) }),
        el("span", { class: "why", text: `${t("why")}: ${reasons.join("; ")}` }))));
  }

  /** Earlier incidents (repeat victimisation), with the escalation pattern highlighted. */
  function priorTable(detail) {
    const prior = detail.prior_incidents || [];
    const wrap = el("div", { class: "prior" });
    if ((detail.flags || []).includes("escalation_pattern")) {
      wrap.append(el("p", { class: "escalation", role: "alert", text: t("escalation") }));
    }
    if (!prior.length) {
      wrap.append(el("p", { class: "muted", text: t("no_prior") }));
      return wrap;
    }
    const head = el("tr", {}, [t("reference"), t("received"), t("priority"), t("status"),
      t("matched_on")].map((h) => el("th", { scope: "col", text: h })));
    const rows = prior.map((p) => el("tr", { dataset: { reference: p.reference } },
      el("td", {}, el("a", { href: `/incidents/${p.id}`, text: p.reference })),
      el("td", { text: fmtTime(p.received_at) }),
      el("td", {}, badge(p.priority)),
      el("td", { text: label("status", p.status) }),
      el("td", { text: p.matched_on.map((m) => label("matched", m)).join(", ") })));
    wrap.append(el("div", { class: "table-wrap" },
      el("table", { class: "prior-table" }, el("thead", {}, head), el("tbody", {}, rows))));
    return wrap;
  }

  window.NW = {
    ApiError, api, badge, el, fixText, fmtTime, label, lang, localText, mostUrgent, PRIORITIES,
    priorTable, recommendationList, setBadge, t, uuid,
  };
})();
