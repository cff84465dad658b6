/* Nachtwacht: the register of house bans and court orders (GET/POST /api/v1/protective-orders).
 * Dispatchers read it (names only; restricted orders are not given to them); the supervisor
 * registers, restricts and revokes. DOM built with textContent only. */
(function () {
  "use strict";
  const { api, el, fmtTime, t } = window.NW;
  const root = document.getElementById("orders-root");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const supervisor = root.dataset.supervisor === "1";
  const form = $("order-form");
  let shown = [];
  let protectedCount = 0;
  let revoking = null;

  function setStatus(node, text, kind) {
    node.className = "form-status" + (kind ? ` status-${kind}` : "");
    node.textContent = text;
  }

  /* ---------- the register ---------- */

  function person(p) {
    const parts = [p.name || "—"];
    if (p.birth_year) parts.push(t("born", { year: p.birth_year }));
    if (p.phone) parts.push(p.phone);
    return parts.join(", ");
  }

  /** A moment as Brussels date and time, to the minute ("7/12/2026 05:55"). */
  function when(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return fmtTime(iso);
    const parts = { timeZone: "Europe/Brussels", day: "numeric", month: "numeric", year: "numeric",
      hour: "2-digit", minute: "2-digit" };
    return date.toLocaleString("nl-BE", parts).replace(",", "");
  }

  function period(o) {
    return `${when(o.valid_from)} – ${when(o.valid_to)}`;
  }

  function row(o) {
    const action = supervisor && (o.status === "active" || o.status === "upcoming")
      ? el("button", { type: "button", class: "secondary small", dataset: { revoke: o.id },
        "aria-label": `${t("revoke")}: ${t("kind_" + o.kind)}, ${period(o)}`, text: t("revoke") })
      : "";
    const authority = [o.issuing_authority, o.order_reference].filter(Boolean).join(" · ");
    // Only a supervisor is given restricted orders (and is told which they are).
    const restricted = o.restricted
      ? [" ", el("span", { class: "order-status order-restricted", text: t("restricted") })]
      : [];
    return el("tr", { dataset: { orderId: o.id, status: o.status } },
      el("td", {}, t("kind_" + o.kind), ...restricted),
      el("td", { text: o.address || t("no_address") }),
      el("td", { class: "period" }, el("span", { text: `${when(o.valid_from)} –` }), " ",
        el("span", { text: when(o.valid_to) })),
      el("td", { text: authority }),
      el("td", { text: person(o.subject) }),
      el("td", {}, el("ul", { class: "plain" },
        o.protected_persons.map((p) => el("li", { text: person(p) })))),
      el("td", {}, el("span", { class: `order-status order-${o.status}`,
        text: t("status_" + o.status) })),
      supervisor ? el("td", {}, action) : null);
  }

  function renderList(items, all) {
    shown = items;
    if (!items.length) {
      $("orders").replaceChildren(el("p", { class: "muted", text: t(all ? "none_at_all" : "none_active") }));
      return;
    }
    const heads = ["col_kind", "col_address", "col_period", "col_authority", "col_subject",
      "col_protected", "col_status"].concat(supervisor ? ["col_action"] : []);
    $("orders").replaceChildren(el("table", { class: "orders-table", "aria-labelledby": "h-register" },
      el("thead", {}, el("tr", {}, heads.map((h) => el("th", { scope: "col", text: t(h) })))),
      el("tbody", {}, items.map(row))));
  }

  async function load() {
    const all = $("include-expired").checked;
    try {
      const data = await api("GET", "/api/v1/protective-orders" + (all ? "?include=expired" : ""));
      renderList(data.items, all);
      const n = data.page.total;
      setStatus($("list-status"), n === 1 ? t("loaded_one") : t("loaded", { n }), "");
    } catch (err) {
      setStatus($("list-status"), t("not_loaded", { message: err.message }), "error");
    }
  }

  $("include-expired").addEventListener("change", load);

  /* ---------- the form (supervisor) ---------- */

  function personFields(prefix, field, removable) {
    const input = (name, label, attrs) => {
      const id = `${prefix}-${name}`;
      return el("div", { class: `field person-${name}` },
        el("label", { for: id, text: label }),
        el("input", Object.assign({ id, name, dataset: { field: `${field}.${name}` } }, attrs)));
    };
    const nodes = [
      input("name", t("name"), { maxlength: 200, required: true }),
      input("birth_year", `${t("birth_year")} (${t("optional")})`,
        { type: "number", min: 1900, max: 2100, inputmode: "numeric" }),
      input("phone", `${t("phone")} (${t("optional")})`, { type: "tel", maxlength: 24 }),
    ];
    if (removable) {
      nodes.push(el("button", { type: "button", class: "secondary small remove-person",
        text: t("remove") }));
    }
    return nodes;
  }

  function addProtected() {
    const n = protectedCount++;
    const rows = $("protected-rows");
    const box = el("div", { class: "person-row", dataset: { person: "protected" },
      role: "group", "aria-label": t("protected_n", { n: rows.children.length + 1 }) },
    ...personFields(`protected-${n}`, "protected_persons", rows.children.length > 0));
    rows.append(box);
    renumber();
    return box;
  }

  function renumber() {
    [...$("protected-rows").children].forEach((box, i) => {
      box.setAttribute("aria-label", t("protected_n", { n: i + 1 }));
      box.querySelectorAll("input").forEach((input) => {
        input.dataset.field = `protected_persons.${i}.${input.name}`;
      });
    });
  }

  function localInput(date) {
    const pad = (x) => String(x).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
      `T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }

  /** The longest period the law allows for the kind, proposed until the end is typed. */
  function proposeEnd() {
    const kind = $("order-kind").value;
    $("order-kind-hint").textContent = t("hint_" + kind);
    if ($("order-to").dataset.typed) return;
    const from = new Date($("order-from").value);
    if (Number.isNaN(from.getTime()) || kind === "court_order") return;
    const end = new Date(from);
    if (kind === "house_ban") end.setDate(end.getDate() + 14);
    else end.setMonth(end.getMonth() + 3);
    $("order-to").value = localInput(end);
  }

  function personValue(box) {
    const value = (name) => box.querySelector(`input[name="${name}"]`).value.trim();
    const year = value("birth_year");
    return { name: value("name"), birth_year: year ? Number(year) : null, phone: value("phone") || null };
  }

  function body() {
    const text = (id) => $(id).value.trim();
    // Empty rows are left out; the rows sent are numbered as the API will name them.
    const rows = [...$("protected-rows").children];
    const people = [];
    rows.forEach((box) => {
      const p = personValue(box);
      const index = p.name || p.phone || p.birth_year ? people.push(p) - 1 : "-";
      box.querySelectorAll("input").forEach((input) => {
        input.dataset.field = `protected_persons.${index}.${input.name}`;
      });
    });
    return {
      kind: $("order-kind").value,
      subject: personValue(form.querySelector('[data-person="subject"]')),
      protected_persons: people,
      address: text("order-address") || null,
      valid_from: text("order-from") || null,
      valid_to: text("order-to") || null,
      issuing_authority: text("order-authority"),
      order_reference: text("order-reference") || null,
      restricted: $("order-restricted").checked,
    };
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach((node) => node.remove());
    form.querySelectorAll("[aria-invalid]").forEach((node) => {
      node.removeAttribute("aria-invalid");
      const ids = (node.getAttribute("aria-describedby") || "").split(" ")
        .filter((id) => id && !id.startsWith("err-"));
      if (ids.length) node.setAttribute("aria-describedby", ids.join(" "));
      else node.removeAttribute("aria-describedby");
    });
  }

  /** The input a field name from the API points at (a list error marks its fieldset). */
  function target(name) {
    return form.querySelector(`[data-field="${CSS.escape(name)}"]`) ||
      form.querySelector(`[data-field="${CSS.escape(name.split(".")[0])}"]`);
  }

  function showErrors(fields) {
    let first = null;
    for (const [name, message] of Object.entries(fields)) {
      const node = target(name);
      if (!node) continue;
      const id = `err-${name.replace(/[^a-z0-9]/gi, "-")}`;
      const error = el("p", { class: "field-error", id, text: message });
      if (node.tagName === "FIELDSET") {
        node.querySelector("legend").after(error);
        const input = node.querySelector("input");
        if (input) input.setAttribute("aria-describedby", id);
      } else {
        node.after(error);
        node.setAttribute("aria-invalid", "true");
        const described = [node.getAttribute("aria-describedby"), id].filter(Boolean).join(" ");
        node.setAttribute("aria-describedby", described);
      }
      const focusable = node.tagName === "FIELDSET" ? node.querySelector("input") : node;
      // Focus the first marked field in the form's order, not the answer's.
      if (focusable && (!first || first.compareDocumentPosition(focusable) & Node.DOCUMENT_POSITION_PRECEDING)) {
        first = focusable;
      }
    }
    if (first) first.focus();
  }

  function flaggedText(data, one, many) {
    const refs = (data.incidents || []).map((i) => i.reference);
    return refs.length ? t(many, { refs: refs.join(", ") }) : t(one);
  }

  async function submit(event) {
    event.preventDefault();
    clearErrors();
    const status = $("form-status");
    try {
      const data = await api("POST", "/api/v1/protective-orders", body());
      setStatus(status, flaggedText(data, "saved", "saved_flagged"), "ok");
      resetForm();
      await load();
    } catch (err) {
      const fields = err.fields || {};
      showErrors(fields);
      const marked = Object.keys(fields).some((name) => target(name));
      setStatus(status, marked ? t("fix_fields") : t("not_saved", { message: err.message }), "error");
    }
  }

  function resetForm() {
    form.reset();
    delete $("order-to").dataset.typed;
    $("protected-rows").replaceChildren();
    addProtected();
    $("order-from").value = localInput(new Date());
    proposeEnd();
  }

  function setUpForm() {
    form.querySelector('[data-person="subject"]').append(...personFields("subject", "subject", false));
    $("add-protected").addEventListener("click", () => addProtected().querySelector("input").focus());
    $("protected-rows").addEventListener("click", (event) => {
      const button = event.target.closest(".remove-person");
      if (!button) return;
      button.closest(".person-row").remove();
      renumber();
      $("add-protected").focus();
    });
    $("order-kind").addEventListener("change", proposeEnd);
    $("order-from").addEventListener("change", proposeEnd);
    $("order-to").addEventListener("input", () => { $("order-to").dataset.typed = "1"; });
    form.addEventListener("submit", submit);
    resetForm();
  }

  /* ---------- revoking (supervisor) ---------- */

  function openRevoke(orderId, opener) {
    const order = shown.find((o) => o.id === orderId);
    if (!order) return;
    revoking = { order, opener };
    $("revoke-what").textContent = t("revoke_of", { kind: t("kind_" + order.kind), period: period(order) });
    $("revoke-reason").value = "";
    $("revoke-reason").removeAttribute("aria-invalid");
    setStatus($("revoke-status"), "", "");
    $("revoke-dialog").showModal();
    $("revoke-reason").focus();
  }

  function closeRevoke() {
    $("revoke-dialog").close();
    if (revoking && revoking.opener && revoking.opener.isConnected) revoking.opener.focus();
    revoking = null;
  }

  async function revoke(event) {
    event.preventDefault();
    const reason = $("revoke-reason").value.trim();
    try {
      const data = await api("POST", `/api/v1/protective-orders/${revoking.order.id}/revoke`, { reason });
      closeRevoke();
      setStatus($("list-status"), flaggedText(data, "revoked", "revoked_flagged"), "ok");
      await load();
      setStatus($("list-status"), flaggedText(data, "revoked", "revoked_flagged"), "ok");
    } catch (err) {
      $("revoke-reason").setAttribute("aria-invalid", "true");
      const message = (err.fields && err.fields.reason) || err.message;
      setStatus($("revoke-status"), t("not_saved", { message }), "error");
      $("revoke-reason").focus();
    }
  }

  function setUpRevoke() {
    $("orders").addEventListener("click", (event) => {
      const button = event.target.closest("[data-revoke]");
      if (button) openRevoke(Number(button.dataset.revoke), button);
    });
    $("revoke-form").addEventListener("submit", revoke);
    $("revoke-cancel").addEventListener("click", closeRevoke);
    $("revoke-dialog").addEventListener("cancel", (event) => { event.preventDefault(); closeRevoke(); });
  }

  if (supervisor && form) {
    setUpForm();
    setUpRevoke();
  }
  load();
})();
