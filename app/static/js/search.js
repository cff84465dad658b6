/* Nachtwacht console: search of earlier incidents and persons (GET /api/v1/search).
 * Alt+Z (or / when not typing) goes to the search field; Enter searches; ↓ and ↑ move through
 * the results; Escape closes the results, a second Escape goes back to the queue. The reason (a
 * code from the list, never free text: it goes to the audit trail) is asked before the first
 * search and kept until the results are closed. Results open the incident page in a new tab, so
 * the board and a call being typed stay as they are. The search carries the CSRF token although
 * it is a GET (api.js sends it only with changes): the server refuses a search without it.
 * Loaded before api.js (the partial sits in the header): window.NW is read once the page is in. */
(function () {
  "use strict";
  const box = document.getElementById("search-box");
  if (!box) return;
  const $ = (id) => document.getElementById(id);
  const form = $("search-form");
  const query = $("search-q");
  const reason = $("search-reason");
  const panel = $("search-panel");
  const results = $("search-results");
  const status = $("search-status");
  let strings = null;
  let generation = 0; // answers to an older search are dropped

  function t(key, vars) {
    if (strings === null) {
      try {
        strings = JSON.parse($("i18n-search").textContent);
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

  function showPanel() {
    panel.hidden = false;
  }

  function closePanel() {
    panel.hidden = true;
    results.replaceChildren();
    status.textContent = "";
    reason.value = ""; // the next search states its own reason
    showErrors({});
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /** Field messages beside the fields (or none): {q, reason}. */
  function showErrors(fields) {
    [query, reason].forEach((input) => input.removeAttribute("aria-invalid"));
    for (const [name, input, node] of [
      ["q", query, $("search-q-error")],
      ["reason", reason, $("search-reason-error")],
    ]) {
      node.textContent = fields[name] || "";
      node.hidden = !fields[name];
      if (fields[name]) input.setAttribute("aria-invalid", "true");
    }
  }

  /** What is missing before a search may go, and where to go to fill it in. */
  function missing() {
    if (query.value.trim().length < 2) return { fields: { q: t("need_query") }, focus: query };
    if (!reason.value) return { fields: { reason: t("need_reason") }, focus: reason };
    return null;
  }

  async function run() {
    showPanel();
    const gap = missing();
    if (gap) {
      showErrors(gap.fields);
      status.textContent = "";
      gap.focus.focus();
      return;
    }
    showErrors({});
    const mine = ++generation;
    status.textContent = t("searching");
    box.setAttribute("aria-busy", "true");
    const params = new URLSearchParams({ q: query.value.trim(), reason: reason.value });
    try {
      const found = await window.NW.api("GET", `/api/v1/search?${params}`, undefined,
        { "X-CSRFToken": csrfToken() });
      if (mine !== generation) return;
      render(found);
    } catch (err) {
      if (mine !== generation) return;
      results.replaceChildren();
      showErrors(err.fields || {});
      status.textContent = t("failed", { message: err.message });
    } finally {
      if (mine === generation) box.removeAttribute("aria-busy");
    }
  }

  function countText(found) {
    if (found.more) return t("found_more", { n: found.count });
    if (found.count === 0) return t("found_none");
    return found.count === 1 ? t("found_one") : t("found_n", { n: found.count });
  }

  function render(found) {
    results.replaceChildren(...found.items.map(item));
    status.textContent = countText(found);
    box.dataset.searched = String(Number(box.dataset.searched || 0) + 1);
  }

  function item(hit) {
    const NW = window.NW;
    const how = hit.matched_on.map((m) => t(`matched_${m}`)).join(", ");
    const roles = hit.roles.map((r) => t(`role_${r}`)).join(", ");
    const link = NW.el("a", {
      href: `/incidents/${hit.id}`, target: "_blank", rel: "noopener", class: "search-ref",
      "aria-label": t("open_page", { reference: hit.reference }), text: hit.reference });
    const onBoard = window.NWConsole && window.NWConsole.state
      && window.NWConsole.state.incidents.has(hit.id);
    return NW.el("li", { class: "search-hit", dataset: { id: hit.id, reference: hit.reference } },
      NW.el("div", { class: "search-line" }, link, NW.badge(hit.priority),
        NW.el("span", { class: "search-status-label", text: NW.label("status", hit.status) }),
        hit.restricted ? NW.el("span", { class: "search-restricted", text: t("restricted") }) : null,
        onBoard ? NW.el("button", { type: "button", class: "secondary small search-here",
          dataset: { id: hit.id }, text: t("show_here") }) : null),
      NW.el("div", { class: "search-meta" },
        NW.el("time", { datetime: hit.received_at, text: NW.fmtTime(hit.received_at) }),
        hit.district ? NW.el("span", { text: hit.district }) : null,
        NW.el("span", { class: "search-how",
          text: roles ? t("matched_as", { how: how, roles: roles }) : how })));
  }

  /** The focusable things in the results, in order (links and "show on the board"). */
  function stops() {
    return [...results.querySelectorAll("a, button")];
  }

  function onResultsKey(event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const all = stops();
    const at = all.indexOf(document.activeElement);
    event.preventDefault();
    if (event.key === "ArrowUp" && at <= 0) {
      query.focus();
      return;
    }
    const next = all[Math.min(all.length - 1, at + (event.key === "ArrowDown" ? 1 : -1))];
    if (next) next.focus();
  }

  function onEscape(event) {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    event.preventDefault();
    if (!panel.hidden) {
      closePanel();
      query.focus();
      return;
    }
    query.value = "";
    query.blur();
    if (window.NWConsole && window.NWConsole.focusQueue) window.NWConsole.focusQueue();
  }

  /** Alt+Z anywhere (the Z of "zoeken", whatever the keyboard layout), or / when not typing. */
  function onShortcut(event) {
    if (event.ctrlKey || event.metaKey) return;
    const letter = /^[a-z]$/i.test(event.key) ? event.key.toLowerCase() : "";
    const altZ = event.altKey && (letter === "z" || (!letter && event.code === "KeyZ"));
    const typing = event.target.closest
      && event.target.closest("input, textarea, select, [contenteditable]");
    const slash = event.key === "/" && !event.altKey && !typing;
    if (!altZ && !slash) return;
    if (document.querySelector("dialog[open]")) return; // a dialog has the keyboard
    event.preventDefault();
    query.focus();
    query.select();
  }

  function onResultsClick(event) {
    const here = event.target.closest("button.search-here");
    if (!here) return;
    window.NWConsole.detail.open(Number(here.dataset.id), { focus: true });
    closePanel();
  }

  function start() {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run();
    });
    // Nothing moves on "change": arrow keys on a select change it at every step (and each
    // search is audited with the reason it went with). Enter searches.
    // Enter on the select searches too (a select does not submit its form on Enter).
    reason.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        run();
      }
    });
    query.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && !panel.hidden && stops().length) {
        event.preventDefault();
        stops()[0].focus();
      }
    });
    results.addEventListener("keydown", onResultsKey);
    results.addEventListener("click", onResultsClick);
    $("search-close").addEventListener("click", () => {
      closePanel();
      query.focus();
    });
    box.addEventListener("keydown", onEscape);
    document.addEventListener("keydown", onShortcut);
    box.dataset.ready = "1";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
