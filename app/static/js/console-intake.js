/* Nachtwacht console: the intake panel. Alt+N opens the call form over the queue while the live
 * connection stays up (alarms keep sounding); typing an address or phone asks the server for an
 * open incident that may be the same call; "save and assign" (Ctrl+Shift+Enter) saves, closes
 * the panel, opens the new incident and puts its recommended units in view (then Alt+A). */
(function () {
  "use strict";
  const { api, badge, el, t } = window.NW;
  const C = (window.NWConsole = window.NWConsole || {});
  const $ = (id) => document.getElementById(id);
  const drawer = $("intake-drawer");
  const form = $("intake");
  const box = $("duplicates");
  const opener = $("new-call");
  let timer = null;
  let asked = 0;
  let lastQuestion = "";

  function isOpen() {
    return !drawer.hidden;
  }

  /** Show the panel; a saved call makes room for a new one, an unsaved one is kept. */
  function open() {
    const intake = window.NWIntake;
    if (isOpen() && intake && intake.saved()) intake.newCall();
    if (!isOpen() && intake && intake.saved()) intake.newCall();
    drawer.hidden = false;
    document.body.classList.add("intake-open");
    opener.setAttribute("aria-expanded", "true");
    $("address").focus();
  }

  /** Hide the panel (what is typed stays in the form). */
  function hide() {
    if (!isOpen()) return;
    drawer.hidden = true;
    document.body.classList.remove("intake-open");
    opener.setAttribute("aria-expanded", "false");
    const intake = window.NWIntake;
    opener.classList.toggle("has-draft", Boolean(intake && !intake.saved() && intake.hasUnsaved()));
  }

  /** The form saved the call and asks for a unit: open it on the board, recommendations first. */
  async function saved(incident) {
    hide();
    opener.classList.remove("has-draft");
    C.announce(t("saved_and_opened", { reference: incident.reference }), false);
    if (!C.state.incidents.has(incident.id)) {
      C.state.incidents.set(incident.id, incident); // the live event may still be on its way
    }
    await C.detail.open(incident.id, { focus: false });
    C.detail.showRecs();
    $("console").dataset.handedBack = incident.reference;
  }

  function duplicateItem(d) {
    const go = el("button", { type: "button", class: "secondary small",
      text: t("duplicate_open", { reference: d.reference }) });
    go.addEventListener("click", () => {
      hide();
      C.detail.open(d.id, { focus: true });
    });
    const matched = (d.matched_on || []).map((m) => t(`matched_${m}`)).join(", ");
    return el("li", { dataset: { id: String(d.id) } }, badge(d.priority), " ",
      el("strong", { text: d.reference }), ` · ${d.district || "—"} · ${matched} `, go);
  }

  async function check() {
    const address = $("address").value.trim();
    const phone = $("caller_phone").value.trim();
    // An address is worth asking about from its house number on, a phone from 8 digits: each
    // question uses the dispatcher's look-up limit (LOOKUP_RATE_LIMIT, shared with the search).
    const body = {};
    if (address.length >= 6 && /\d/.test(address)) body.address = address;
    if (phone.replace(/\D/g, "").length >= 8) body.caller_phone = phone;
    const question = JSON.stringify(body);
    if (question === lastQuestion) return; // the same question: the same answer is shown
    lastQuestion = question;
    const ticket = ++asked;
    if (!Object.keys(body).length) {
      box.hidden = true;
      return;
    }
    try {
      const found = await api("POST", "/api/v1/incidents/duplicates", body);
      if (ticket !== asked) return;
      box.hidden = !found.items.length;
      box.replaceChildren(...(found.items.length ? [
        el("strong", { text: t("duplicates_title", { hours: found.window_h }) }),
        el("ul", {}, found.items.map(duplicateItem)),
      ] : []));
    } catch (err) {
      if (ticket !== asked) return;
      box.hidden = true; // half a phone number: nothing to say yet
      lastQuestion = ""; // ask again on the next change
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }

  $("address").addEventListener("input", schedule);
  $("caller_phone").addEventListener("input", schedule);
  form.addEventListener("intake:reset", () => {
    lastQuestion = "";
    box.hidden = true;
    box.replaceChildren();
  });
  opener.addEventListener("click", open);
  $("intake-close").addEventListener("click", () => {
    hide();
    C.focusQueue();
  });
  drawer.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      hide();
      C.focusQueue();
    }
  });

  C.intake = { open, hide, saved, isOpen };
})();
