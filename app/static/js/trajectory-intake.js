/* Nachtwacht intake: earlier screens while the call is typed (issue 19).
 * As the address or caller phone changes (debounced), POST /api/v1/trajectory/lookup (a body, so
 * nothing typed lands in a URL log); show a short summary under the address; and at each question
 * with a stable fact answered yes earlier, a chip "Earlier yes (date, reference)". The dispatcher
 * confirms it with E on that question, or a click: only then is "yes" set, with a bubbling
 * `change` so intake.js recomputes the live priority. Nothing is ever set without that. E is free:
 * intake.js uses 1/2/3 on a question, Enter, Ctrl+Enter and Alt+N; the console only Alt+keys, Esc
 * and ?. Cleared on the form's `intake:reset`. Everything is put in the page with textContent. */
(function () {
  "use strict";
  const box = document.getElementById("trajectory-intake");
  const form = document.getElementById("intake");
  if (!box || !form) return;
  const $ = (id) => document.getElementById(id);
  const KEY = "E";
  const PHONE = /^\+?[0-9 ()./-]{6,24}$/;
  const SHOWN = 5; // incidents in the summary; the incident page has them all
  const state = { seq: 0, timer: null, asked: "", suggestions: new Map(), confirmed: new Map() };
  let strings = null;

  /** A string of this feature (#i18n-trajectory), {name} placeholders filled in. */
  function tr(key, vars) {
    if (strings === null) {
      try {
        strings = JSON.parse($("i18n-trajectory").textContent);
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

  function day(iso) {
    const locale = window.NW.lang() === "en" ? "en-GB" : "nl-BE";
    return new Date(iso).toLocaleDateString(locale, {
      day: "numeric", month: "short", year: "numeric", timeZone: "Europe/Brussels",
    });
  }

  /* ---------- asking ---------- */

  function question() {
    const body = {};
    const address = $("address") ? $("address").value.trim() : "";
    const phone = $("caller_phone") ? $("caller_phone").value.trim() : "";
    if (address.length >= 6) body.address = address;
    if (PHONE.test(phone)) body.caller_phone = phone;
    return body;
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = setTimeout(lookup, 600);
  }

  async function lookup() {
    const body = question();
    const asked = JSON.stringify(body);
    if (asked === state.asked) return; // the same question: the same (audited) answer
    state.asked = asked;
    const mine = ++state.seq;
    if (!Object.keys(body).length) {
      show(null);
      return;
    }
    try {
      const data = await window.NW.api("POST", "/api/v1/trajectory/lookup", body);
      if (mine === state.seq) show(data);
    } catch (err) {
      if (mine !== state.seq) return;
      state.asked = ""; // ask again on the next change; a failed look-up never holds up the call
      show(null);
      if (err.status === 429) {
        box.hidden = false;
        $("trajectory-intake-note").textContent = tr("lookup_limited");
      }
    }
  }

  /* ---------- the summary ---------- */

  function shortName(table) {
    return table.instrument === "immediate-danger" ? table.title : table.instrument.toUpperCase();
  }

  function screensOf(data, incidentId) {
    const parts = [];
    let fear = null;
    for (const table of data.instruments) {
      const n = table.columns.findIndex((c) => c.incident_id === incidentId);
      if (n < 0) continue;
      const c = table.columns[n];
      parts.push(`${shortName(table)} ${c.level_label} (${tr("score")} ${c.score})`);
      const fears = table.rows.find((r) => r.kind === "fear");
      if (fear === null && fears && fears.cells[n].answer !== null) fear = fears.cells[n].answer;
    }
    if (fear !== null) parts.push(tr("fear", { n: fear }));
    return parts;
  }

  function title(data) {
    const on = new Set(data.incidents.flatMap((i) => i.matched_on));
    if (on.has("address") && on.has("caller_phone")) return tr("intake_both");
    return on.has("caller_phone") ? tr("intake_caller_phone") : tr("intake_address");
  }

  function show(data) {
    const { el } = window.NW;
    const suggestions = data ? data.suggestions : [];
    state.suggestions = new Map(suggestions.map((s) => [`${s.instrument}:${s.item}`, s]));
    applyChips();
    if (!data || !data.incidents.length) {
      box.hidden = true;
      $("trajectory-intake-list").replaceChildren();
      $("trajectory-intake-note").textContent = "";
      return;
    }
    $("trajectory-intake-title").textContent = title(data);
    $("trajectory-intake-list").replaceChildren(...data.incidents.slice(0, SHOWN).map((i) => {
      const screens = screensOf(data, i.id);
      return el("li", { dataset: { reference: i.reference } },
        el("a", { href: `/incidents/${i.id}`, target: "_blank", rel: "noopener", text: i.reference }),
        ` · ${day(i.received_at)}`, screens.length ? ` · ${screens.join(" · ")}` : "");
    }));
    const screened = new Set(data.series.map((p) => p.incident_id)).size;
    const count = (key, n) => tr(n === 1 ? `${key}_one` : key, { n });
    $("trajectory-intake-note").textContent = suggestions.length
      ? count("intake_suggestions", suggestions.length)
      : screened ? count("intake_count", screened) : tr("intake_no_screen");
    box.hidden = false;
  }

  /* ---------- the chips at the questions ---------- */

  function keyOf(q) {
    return `${q.dataset.instrument}:${q.dataset.item}`;
  }

  function checked(q) {
    const radio = q.querySelector("input[type=radio]:checked");
    return radio ? radio.value : null;
  }

  /** What a question shows: a chip to confirm, the confirmed note, or nothing. */
  function wanted(q) {
    const key = keyOf(q);
    const s = state.suggestions.get(key);
    if (!s) return { kind: "", s: null };
    if (checked(q) === "yes") return { kind: state.confirmed.has(key) ? "done" : "", s };
    return { kind: "chip", s };
  }

  function chipNode(q, s) {
    const { el } = window.NW;
    const chip = el("button", {
      type: "button", class: "traj-chip", id: `traj-chip-${q.id}`, "aria-keyshortcuts": KEY,
    },
    el("span", { text: tr("chip", { date: day(s.at), reference: s.reference }) }),
    el("span", {}, el("kbd", { text: KEY }), ` ${tr("chip_key")}`),
    el("span", { class: "visually-hidden",
      text: ` ${tr("chip_label", { reference: s.reference, date: day(s.at) })}` }));
    chip.addEventListener("click", () => confirmFact(q));
    return chip;
  }

  function describe(q, id) {
    const ids = (q.getAttribute("aria-describedby") || "").split(" ")
      .filter((x) => x && !x.startsWith("traj-chip-"));
    if (id) ids.push(id);
    if (ids.length) q.setAttribute("aria-describedby", ids.join(" "));
    else q.removeAttribute("aria-describedby");
  }

  function applyChip(q) {
    const { kind, s } = wanted(q);
    const shownKey = kind ? `${kind}:${s.incident_id}` : "";
    if ((q.dataset.traj || "") === shownKey) return; // unchanged: keep the node (and its focus)
    q.querySelectorAll(".traj-chip, .traj-done").forEach((n) => n.remove());
    describe(q, null);
    if (kind) q.dataset.traj = shownKey;
    else delete q.dataset.traj;
    if (kind === "chip") {
      const chip = chipNode(q, s);
      q.append(chip);
      describe(q, chip.id);
    } else if (kind === "done") {
      q.append(window.NW.el("p", { class: "traj-done",
        text: `✓ ${tr("chip_done", { reference: s.reference, date: day(s.at) })}` }));
    }
  }

  function applyChips() {
    form.querySelectorAll(".q[data-instrument][data-item]").forEach(applyChip);
  }

  /** The dispatcher confirmed an earlier yes: answer yes now, as if they had pressed 1. */
  function confirmFact(q) {
    const key = keyOf(q);
    const s = state.suggestions.get(key);
    const yes = q.querySelector('input[type=radio][value="yes"]');
    if (!s || !yes || yes.disabled) return;
    state.confirmed.set(key, s);
    yes.checked = true;
    yes.dispatchEvent(new Event("change", { bubbles: true }));
    applyChip(q);
    yes.focus();
  }

  function onKeydown(event) {
    if (event.key.toUpperCase() !== KEY || event.ctrlKey || event.altKey || event.metaKey) return;
    const target = event.target;
    if (!form.contains(target) || !(target.type === "radio" || target.classList.contains("traj-chip"))) {
      return; // E in a text field is a letter
    }
    const q = target.closest(".q[data-instrument][data-item]");
    if (!q || q.dataset.traj === undefined || !q.dataset.traj.startsWith("chip:")) return;
    event.preventDefault();
    confirmFact(q);
  }

  function onChange(event) {
    const q = event.target.closest && event.target.closest(".q[data-instrument][data-item]");
    if (!q) return;
    if (checked(q) !== "yes") state.confirmed.delete(keyOf(q)); // changed their mind: offer again
    applyChip(q);
  }

  function reset() {
    clearTimeout(state.timer);
    state.seq += 1;
    state.asked = "";
    state.confirmed.clear();
    show(null);
  }

  /* ---------- wiring ---------- */

  const duplicates = $("duplicates");
  if (duplicates) duplicates.insertAdjacentElement("afterend", box); // under the address
  ["address", "caller_phone"].forEach((id) => {
    const input = $(id);
    if (!input) return;
    input.addEventListener("input", schedule);
    input.addEventListener("change", schedule);
  });
  form.addEventListener("change", onChange);
  form.addEventListener("intake:reset", reset);
  document.addEventListener("keydown", onKeydown);
  // intake.js draws the questions once the instruments are loaded: put the chips on them then.
  const observer = new MutationObserver(() => {
    if (state.suggestions.size) applyChips();
  });
  form.querySelectorAll(".q-list").forEach((list) => observer.observe(list, { childList: true }));
})();
