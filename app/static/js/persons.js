/* Nachtwacht: "Zelfde persoon?" — persons on other incidents who may be this call's persons.
 * Follows the intake form (`intake:saved`, `intake:reset`) and the incident page
 * (`incident:loaded`). Nothing is linked on its own: each candidate waits for the dispatcher's
 * "yes" or "no"; a link can be undone with a reason. Builds DOM with textContent only. */
(function () {
  "use strict";

  // This partial's script comes before the page's own (api.js among them): start once they ran.
  if (window.NW) start();
  else document.addEventListener("DOMContentLoaded", start);

  function start() {
    const panel = document.getElementById("persons-panel");
    if (!panel || !window.NW) return;
    const { api, badge, el, fmtTime } = window.NW;
    const list = document.getElementById("persons-panel-list");
    const status = document.getElementById("persons-panel-status");
    const title = document.getElementById("persons-panel-title");
    const LEVEL = Number(panel.dataset.level || 2) + 1; // the persons' headings
    const strings = readStrings();
    const state = { incidentId: null, flags: [], seq: 0, shown: "", busy: false };

    function readStrings() {
      const block = document.getElementById("i18n-persons");
      try {
        return block ? JSON.parse(block.textContent) : {};
      } catch (err) {
        return {};
      }
    }

    /** A string of this panel; {name} placeholders filled in. */
    function t(key, vars) {
      let text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
      for (const [name, value] of Object.entries(vars || {})) {
        text = text.split("{" + name + "}").join(String(value));
      }
      return text;
    }

    function label(prefix, code) {
      const key = `${prefix}_${code}`;
      return Object.prototype.hasOwnProperty.call(strings, key) ? strings[key]
        : String(code).replace(/_/g, " ");
    }

    function setStatus(text, kind) {
      status.textContent = text || "";
      status.className = "persons-status" + (kind ? ` persons-${kind}` : "");
    }

    function errorText(err) {
      const fields = Object.values(err.fields || {}).join(" ");
      return [err.message, fields].filter(Boolean).join(" ");
    }

    /* ---------- loading ---------- */

    async function load(incidentId) {
      const ticket = ++state.seq;
      state.incidentId = incidentId;
      if (!state.shown) {
        list.replaceChildren(el("p", { class: "persons-muted", text: t("checking") }));
      }
      let data;
      try {
        data = await api("GET", `/api/v1/incidents/${incidentId}/person-candidates`);
      } catch (err) {
        if (ticket !== state.seq) return;
        panel.hidden = false;
        list.replaceChildren();
        setStatus(t("failed", { message: err.message }), "error");
        return;
      }
      if (ticket !== state.seq) return; // another call was saved or loaded meanwhile
      const text = JSON.stringify(data);
      if (text === state.shown) return; // unchanged: keep focus and any open form
      state.shown = text;
      render(data);
    }

    function reload() {
      state.shown = "";
      return load(state.incidentId);
    }

    function clear() {
      state.seq += 1;
      Object.assign(state, { incidentId: null, flags: [], shown: "" });
      list.replaceChildren();
      setStatus("");
      panel.hidden = true;
    }

    function follow(detail) {
      if (!detail || !detail.id) return;
      if (detail.id !== state.incidentId) {
        state.shown = "";
        setStatus("");
      }
      state.flags = detail.flags || [];
      load(detail.id);
    }

    /* ---------- views ---------- */

    function render(data) {
      panel.hidden = !data.items.length; // no persons on the call: nothing to ask
      const people = data.items.filter((p) => p.candidates.length || p.linked.length);
      list.replaceChildren(...(people.length ? people.map(personBlock)
        : [el("p", { class: "persons-muted", text: t("none") })]));
    }

    function who(p) {
      return [
        p.name || t("no_name"),
        label("role", p.role),
        p.age !== null && p.age !== undefined ? t("years", { age: p.age }) : null,
        p.birth_year ? t("born", { year: p.birth_year }) : null,
      ].filter(Boolean).join(" · ");
    }

    function personBlock(p) {
      const block = el("div", { class: "persons-person", dataset: { personId: p.person_id } },
        el(`h${LEVEL}`, { class: "persons-who", text: who(p) }));
      if (p.linked.length) block.append(linkedPart(p));
      if (p.candidates.length) {
        block.append(
          el("p", { class: "persons-sub", text: t("may_be") }),
          el("ul", { class: "persons-candidates" }, p.candidates.map((c) => candidateItem(p, c))));
      }
      return block;
    }

    function incidentLink(item) {
      return el("a", { href: `/incidents/${item.incident_id}`, text: item.reference });
    }

    function candidateItem(p, c) {
      const id = `pc-${p.person_id}-${c.person_id}`;
      const kinds = c.matched_on.map((k) => label("matched", k)).join(", ");
      const button = (decision, cls, text) => el("button", {
        type: "button", class: cls, "aria-describedby": id, text,
        dataset: { decide: decision, person: p.person_id, other: c.person_id },
      });
      return el("li", { class: "persons-candidate", dataset: { other: c.person_id } },
        el("div", { class: "persons-what", id },
          el("span", { class: "persons-where" }, incidentLink(c), ` · ${fmtTime(c.received_at)}`,
            c.restricted ? el("span", { class: "persons-flag", text: t("restricted") }) : null),
          el("strong", { class: "persons-name", text: who(c) }),
          el("span", { class: "persons-match", text: t("matched", { kinds }) })),
        el("div", { class: "persons-actions" },
          button("same", "persons-yes", t("yes")),
          button("different", "persons-no", t("no"))));
    }

    function linkedPart(p) {
      const historyId = `ph-${p.person_id}`;
      const links = p.linked.flatMap((l, n) => [n ? ", " : "", incidentLink(l),
        ` (${fmtTime(l.received_at)})`]);
      return el("div", { class: "persons-linked" },
        el("p", { class: "persons-linked-to" },
          el("strong", { text: `${t("linked_to")}: ` }), ...links),
        el("div", { class: "persons-actions" },
          el("button", {
            type: "button", class: "persons-secondary", "aria-expanded": "false",
            "aria-controls": historyId, dataset: { history: p.person_id }, text: t("show_history"),
          }),
          el("button", {
            type: "button", class: "persons-secondary", "aria-expanded": "false",
            "aria-controls": `pf-${p.person_id}`, dataset: { unlinkOpen: p.person_id },
            text: t("unlink"),
          })),
        el("div", { id: historyId, class: "persons-history", hidden: true }),
        unlinkForm(p));
    }

    function unlinkForm(p) {
      const inputId = `pu-${p.person_id}`;
      return el("form", { id: `pf-${p.person_id}`, class: "persons-unlink", hidden: true,
        novalidate: true, dataset: { unlink: p.person_id } },
        el("label", { for: inputId, text: t("unlink_reason") }),
        el("input", { id: inputId, name: "reason", minlength: "3", maxlength: "1000",
          required: true, autocomplete: "off" }),
        el("div", { class: "persons-actions" },
          el("button", { type: "submit", class: "persons-no", text: t("unlink_confirm") }),
          el("button", { type: "button", class: "persons-secondary",
            dataset: { unlinkCancel: p.person_id }, text: t("cancel") })));
    }

    function historyTable(history) {
      if (!history.items.length) return el("p", { class: "persons-muted", text: t("no_history") });
      const head = el("tr", {}, ["reference", "received", "priority", "status", "role", "screens"]
        .map((key) => el("th", { scope: "col", text: t(key) })));
      const rows = history.items.map((i) => el("tr", {},
        el("td", {}, i.incident_id === state.incidentId
          ? el("span", { text: `${i.reference} (${t("this_incident")})` }) : incidentLink(i)),
        el("td", { text: fmtTime(i.received_at) }),
        el("td", {}, badge(i.priority)),
        el("td", { text: label("status", i.status) }),
        el("td", { text: label("role", i.role) }),
        el("td", { text: Object.entries(i.levels)
          .map(([inst, level]) => `${label("instrument", inst)}: ${label("level", level)}`)
          .join("; ") || "—" })));
      return el("table", { class: "persons-history-table" },
        el("caption", { text: t("history_title") }),
        el("thead", {}, head), el("tbody", {}, rows));
    }

    /* ---------- actions ---------- */

    function told() {
      // The incident page may re-read the incident (its timeline and flags changed).
      document.dispatchEvent(new CustomEvent("persons:changed", {
        detail: { incident_id: state.incidentId },
      }));
    }

    function setBusy(busy) {
      state.busy = busy;
      panel.setAttribute("aria-busy", busy ? "true" : "false");
      list.querySelectorAll("button").forEach((b) => {
        b.disabled = busy;
      });
    }

    /** After a re-render: the next candidate of the same person, else the panel's title. */
    function refocus(personId, index) {
      const block = list.querySelector(`[data-person-id="${personId}"]`);
      const buttons = block ? [...block.querySelectorAll("button.persons-yes")] : [];
      const target = buttons[Math.min(index, buttons.length - 1)] || title;
      target.focus();
    }

    function outcome(done, decision) {
      let message = !done.changed ? t("unchanged")
        : decision === "same" ? t("saved_same") : t("saved_different");
      const flagged = done.flags.includes("escalation_pattern");
      if (flagged && !state.flags.includes("escalation_pattern")) message += ` ${t("escalation")}`;
      state.flags = done.flags;
      return message;
    }

    async function decide(button) {
      if (state.busy) return;
      const { person, other, decide: decision } = button.dataset;
      const item = button.closest("li");
      const index = [...item.parentNode.children].indexOf(item);
      setBusy(true);
      try {
        const done = await api("POST", `/api/v1/persons/${person}/links`,
          { other_person_id: Number(other), decision });
        await reload();
        setStatus(outcome(done, decision), "ok");
        refocus(person, index);
        told();
      } catch (err) {
        setStatus(t("not_saved", { message: errorText(err) }), "error");
      } finally {
        setBusy(false);
      }
    }

    async function toggleHistory(button) {
      const box = document.getElementById(button.getAttribute("aria-controls"));
      if (button.getAttribute("aria-expanded") === "true") {
        box.hidden = true;
        button.setAttribute("aria-expanded", "false");
        button.textContent = t("show_history");
        return;
      }
      try {
        const history = await api("GET", `/api/v1/persons/${button.dataset.history}/history`);
        box.replaceChildren(historyTable(history));
        box.hidden = false;
        button.setAttribute("aria-expanded", "true");
        button.textContent = t("hide_history");
      } catch (err) {
        setStatus(t("failed", { message: err.message }), "error");
      }
    }

    function showUnlink(button, open) {
      const form = document.getElementById(button.getAttribute("aria-controls"));
      form.hidden = !open;
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) form.querySelector("input").focus();
    }

    async function unlink(form) {
      if (state.busy) return;
      const input = form.querySelector("input");
      const reason = input.value.trim();
      if (reason.length < 3) {
        input.setAttribute("aria-invalid", "true");
        setStatus(t("reason_short"), "error");
        input.focus();
        return;
      }
      input.removeAttribute("aria-invalid");
      setBusy(true);
      try {
        const done = await api("DELETE", `/api/v1/persons/${form.dataset.unlink}/link`, { reason });
        await reload();
        setStatus(done.changed ? t("unlinked") : t("unchanged"), "ok");
        title.focus();
        told();
      } catch (err) {
        if (err.fields && err.fields.reason) input.setAttribute("aria-invalid", "true");
        setStatus(t("not_saved", { message: errorText(err) }), "error");
      } finally {
        setBusy(false);
      }
    }

    list.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button || !list.contains(button)) return;
      if (button.dataset.decide) decide(button);
      else if (button.dataset.history) toggleHistory(button);
      else if (button.dataset.unlinkOpen) {
        showUnlink(button, button.getAttribute("aria-expanded") !== "true");
      }
      else if (button.dataset.unlinkCancel) {
        const opener = list.querySelector(`[data-unlink-open="${button.dataset.unlinkCancel}"]`);
        showUnlink(opener, false);
        opener.focus();
      }
    });
    list.addEventListener("submit", (event) => {
      event.preventDefault();
      unlink(event.target);
    });
    list.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !event.target.closest("form.persons-unlink")) return;
      event.preventDefault(); // close the reason form, not the drawer around it
      event.stopPropagation();
      const form = event.target.closest("form");
      const opener = list.querySelector(`[data-unlink-open="${form.dataset.unlink}"]`);
      showUnlink(opener, false);
      opener.focus();
    });

    const form = document.getElementById("intake");
    if (form) {
      form.addEventListener("intake:saved", (event) => follow(event.detail));
      form.addEventListener("intake:reset", clear);
    }
    document.addEventListener("incident:loaded", (event) => follow(event.detail));
  }
})();
