/* Nachtwacht referrals: victim support, psychosocial support and the child-abuse confidence
 * centre (VK). `window.NWReferrals.choices` turns GET /api/v1/incidents/<id>/referrals into the
 * options a person may record (the console's close dialog uses it too); on the incident page
 * the #referrals panel renders on `incident:loaded` and records with PUT .../referrals/<kind>.
 * Loaded before api.js on the incident page: window.NW is read when used. textContent only. */
(function () {
  "use strict";
  // The order a dispatcher meets them in: the victim's answer first, "not offered" last.
  const ORDER = ["accepted", "declined", "offered", "not_offered"];

  function lang() {
    return (document.documentElement.lang || "nl").toLowerCase().startsWith("en") ? "en" : "nl";
  }

  function text(labels) {
    return labels ? labels[lang()] || labels.nl || labels.en || "" : "";
  }

  /** [value, text] options for one referral: the statuses it may move to, "not offered" once
   * per reason ("not_offered:no_contact"). */
  function choices(item, list) {
    const status = Object.fromEntries(list.statuses.map((c) => [c.code, text(c.label)]));
    const out = [];
    for (const code of ORDER.filter((s) => item.allowed.includes(s))) {
      if (code !== "not_offered") {
        out.push([code, status[code] || code]);
        continue;
      }
      for (const reason of list.not_offered_reasons) {
        const why = text(reason.label);
        out.push([`not_offered:${reason.code}`,
          `${status[code]}: ${why.charAt(0).toLowerCase()}${why.slice(1)}`]);
      }
    }
    return out;
  }

  /** The option value of what is recorded now ("" when nothing a person recorded). */
  function current(item) {
    if (!item.status || item.status === "suggested") return "";
    return item.status === "not_offered" ? `not_offered:${item.reason}` : item.status;
  }

  /** An option value as the API's answer: a status, or {status, reason} when not offered. */
  function answer(value) {
    if (!value) return { status: "" };
    const [status, reason] = value.split(":");
    return reason ? { status, reason } : { status };
  }

  window.NWReferrals = { answer, choices, current, text };

  /* ---------- the incident page's panel ---------- */

  const panel = document.getElementById("referrals");
  if (!panel) return;
  const $ = (id) => document.getElementById(id);
  let strings = null;
  let incidentId = null;
  let busy = false;

  function t(key, vars) {
    if (strings === null) {
      try {
        strings = JSON.parse($("i18n-referrals").textContent);
      } catch (err) {
        strings = {};
      }
    }
    let out = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    for (const [name, value] of Object.entries(vars || {})) {
      out = out.split("{" + name + "}").join(String(value));
    }
    return out;
  }

  function setStatus(message, kind) {
    const node = $("ref-status");
    node.className = "form-status" + (kind ? ` status-${kind}` : "");
    node.textContent = message || "";
  }

  function recorded(item) {
    const { fmtTime } = window.NW;
    if (!item.recorded_at) return t("nothing");
    if (!item.recorded_by) return t("by_rule", { when: fmtTime(item.recorded_at) });
    return `${item.recorded_by}, ${fmtTime(item.recorded_at)}`;
  }

  function control(item, list) {
    const { el } = window.NW;
    const id = `ref-${item.kind}`;
    const select = el("select", { id, name: item.kind,
      "aria-describedby": item.reason_label ? `${id}-why` : null },
      el("option", { value: "", text: t("choose") }),
      choices(item, list).map(([value, label]) => el("option", { value, text: label })));
    select.value = current(item);
    return el("form", { class: "ref-form", dataset: { kind: item.kind }, novalidate: true },
      el("label", { for: id, class: "visually-hidden",
        text: t("what_happened", { kind: text(item.label) }) }),
      select,
      el("button", { type: "submit", class: "secondary", text: t("record") }));
  }

  function row(item, list) {
    const { el } = window.NW;
    return el("tr", { dataset: { kind: item.kind, status: item.status || "none" } },
      el("th", { scope: "row", text: text(item.label) }),
      el("td", {}, el("span", { class: `ref-chip ref-${item.status || "none"}`,
        text: text(item.status_label) }),
      item.reason_label ? el("div", { class: "ref-reason", id: `ref-${item.kind}-why`,
        text: text(item.reason_label) }) : null),
      el("td", { class: "ref-when", text: recorded(item) }),
      el("td", {}, control(item, list)));
  }

  function render(list) {
    $("ref-rows").replaceChildren(...list.items.map((item) => row(item, list)));
    panel.setAttribute("aria-busy", "false");
    panel.dataset.loaded = "1";
  }

  async function load() {
    try {
      render(await window.NW.api("GET", `/api/v1/incidents/${incidentId}/referrals`));
    } catch (err) {
      setStatus(t("load_failed", { message: err.message }), "error");
    }
  }

  async function submit(event) {
    const form = event.target.closest("form.ref-form");
    if (!form) return;
    event.preventDefault();
    const select = form.querySelector("select");
    if (!select.value) {
      setStatus(t("choose_first"), "error");
      select.focus();
      return;
    }
    if (busy) return;
    busy = true;
    setStatus(t("recording"));
    const kind = form.dataset.kind;
    try {
      const list = await window.NW.api("PUT", `/api/v1/incidents/${incidentId}/referrals/${kind}`,
        answer(select.value));
      render(list);
      const item = list.items.find((i) => i.kind === kind);
      setStatus(t("recorded_ok", { kind: text(item.label), status: text(item.status_label) }), "ok");
      $(`ref-${kind}`).focus();
    } catch (err) {
      const fields = Object.values(err.fields || {}).join(" ");
      setStatus(t("not_saved", { message: [err.message, fields].filter(Boolean).join(" ") }),
        "error");
      select.focus();
    } finally {
      busy = false;
    }
  }

  panel.addEventListener("submit", submit);
  document.addEventListener("incident:loaded", (event) => {
    incidentId = event.detail.id;
    load();
  });
})();
