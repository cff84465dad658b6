/* Nachtwacht: the orders that flag a call (GET /api/v1/incidents/<id>/protective-orders), shown
 * on the saved call (intake) and the incident page when its flags say `order_in_force`. Asked
 * only then, and once per incident and set of flags: every answer is audited. */
(function () {
  "use strict";

  function init() {
    const box = document.getElementById("order-alert");
    if (!box || !window.NW) return;
    const { api, el, fmtTime } = window.NW;
    let strings = {};
    try {
      strings = JSON.parse(document.getElementById("i18n-orders").textContent);
    } catch (err) {
      strings = {};
    }
    const t = (key, vars) => Object.entries(vars || {}).reduce(
      (text, [name, value]) => text.split("{" + name + "}").join(String(value)), strings[key] || key);
    let asked = null;

    /** Brussels date and time to the minute. */
    function when(iso) {
      const date = new Date(iso);
      if (Number.isNaN(date.getTime())) return fmtTime(iso);
      return date.toLocaleString("nl-BE", { timeZone: "Europe/Brussels", day: "numeric",
        month: "numeric", year: "numeric", hour: "2-digit", minute: "2-digit" }).replace(",", "");
    }

    function hide() {
      asked = null;
      box.hidden = true;
      document.getElementById("order-alert-body").replaceChildren();
    }

    function item(o) {
      const matched = o.matched_on.map((m) => t("matched_" + m)).join(", ");
      // A restricted order reaches a dispatcher without names: who it is, the supervisor knows.
      const hidden = o.restricted && !o.subject.name && !o.protected_persons.length;
      const who = hidden ? t("restricted_details") : t("subject", { name: o.subject.name || "—" });
      const parts = [t("until", { time: when(o.valid_to) })];
      if (!hidden) parts.push(t("by", { authority: o.issuing_authority }));
      parts.push(who, t("matched", { what: matched }));
      return el("li", {},
        el("strong", { text: t(hidden ? "restricted_title" : "kind_" + o.kind) }), " — ",
        parts.join("; "), o.restricted && !hidden ? ` (${t("restricted")})` : "");
    }

    function render(items) {
      const breach = items.some((o) => o.possible_breach);
      document.getElementById("order-alert-title").textContent = t(breach ? "title_breach" : "title");
      document.getElementById("order-alert-body").replaceChildren(
        breach ? el("p", { class: "breach", text: t("breach") }) : "",
        el("ul", {}, items.map(item)),
        el("p", {}, el("a", { href: "/protective-orders", text: t("register") })));
      box.hidden = !items.length;
    }

    async function show(detail) {
      const flags = (detail && detail.flags) || [];
      if (!flags.includes("order_in_force")) {
        hide();
        return;
      }
      const key = `${detail.id}:${flags.join(",")}`;
      if (key === asked) return;
      asked = key;
      try {
        const data = await api("GET", `/api/v1/incidents/${detail.id}/protective-orders`);
        render(data.items);
      } catch (err) {
        document.getElementById("order-alert-title").textContent = t("title");
        document.getElementById("order-alert-body").replaceChildren(
          el("p", { text: t("not_loaded", { message: err.message }) }));
        box.hidden = false;
      }
    }

    document.addEventListener("incident:loaded", (event) => show(event.detail));
    const form = document.getElementById("intake");
    if (form) {
      form.addEventListener("intake:saved", (event) => show(event.detail));
      form.addEventListener("intake:reset", hide);
    }
  }

  // The partial sits in the page's content, before the page's own scripts (api.js among them).
  // Deferred scripts run in order once the page is parsed (readyState already "interactive"),
  // all before DOMContentLoaded: so wait for it unless api.js has run, or the page has loaded.
  if (window.NW || document.readyState === "complete") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
