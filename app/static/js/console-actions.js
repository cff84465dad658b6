/* Nachtwacht console: the incident's lifecycle without leaving the console — SMS to a unit, close
 * with a disposition and the victim's referrals, priority (lowering only for supervisors),
 * release, a unit's status with a reason, restriction and legal hold (supervisors), the handover
 * note. One <dialog> serves every action; the server decides (its 4xx field messages are shown
 * next to the field). */
(function () {
  "use strict";
  const { api, el, label, PRIORITIES, t } = window.NW;
  const C = (window.NWConsole = window.NWConsole || {});
  const $ = (id) => document.getElementById(id);
  const dialog = $("action-dialog");
  const root = $("console");
  const supervisor = root.dataset.supervisor === "1";
  let dispositions = null;
  let running = null; // {submit, done} of the open action

  function field(name, text, control) {
    control.id = `action-${name}`;
    control.name = name;
    return el("div", { class: "field", dataset: { field: name } },
      el("label", { for: control.id, text }), control,
      el("p", { class: "field-error", id: `action-${name}-error`, hidden: true }));
  }

  function select(options, value) {
    const node = el("select", {}, options.map(([v, text]) => el("option", { value: v, text })));
    if (value !== undefined) node.value = value;
    return node;
  }

  function values() {
    return Object.fromEntries([...$("action-fields").querySelectorAll("[name]")]
      .map((n) => [n.name, n.value.trim()]));
  }

  function showErrors(err) {
    $("action-error").textContent = err.message;
    for (const [name, message] of Object.entries(err.fields || {})) {
      const box = $(`action-${name}-error`);
      if (!box) continue;
      box.hidden = false;
      box.textContent = message;
      $(`action-${name}`).setAttribute("aria-invalid", "true");
      $(`action-${name}`).setAttribute("aria-describedby", box.id);
    }
    const bad = $("action-fields").querySelector("[aria-invalid=true]") || $("action-fields").querySelector("[name]");
    if (bad) bad.focus();
  }

  /** Open the dialog: title, fields, the submit label and what submitting does. */
  function show(spec) {
    running = spec;
    $("action-title").textContent = spec.title;
    $("action-fields").replaceChildren(...spec.fields);
    $("action-error").textContent = "";
    $("action-submit").textContent = spec.submit;
    dialog.dataset.action = spec.name;
    dialog.showModal();
    const first = $("action-fields").querySelector("[name]");
    (first || $("action-submit")).focus();
  }

  async function submit(event) {
    event.preventDefault();
    if (!running || $("action-submit").disabled) return;
    $("action-submit").disabled = true;
    $("action-error").textContent = "";
    $("action-fields").querySelectorAll(".field-error").forEach((n) => (n.hidden = true));
    try {
      const spec = running;
      await spec.run(values());
      dialog.close();
      C.announce(spec.done(values()), true);
      const status = $("detail-status");
      status.className = "form-status status-ok";
      C.detail.touch(C.detail.current());
    } catch (err) {
      showErrors(err);
    } finally {
      $("action-submit").disabled = false;
    }
  }

  function incident() {
    const id = C.detail.current();
    if (id === null) {
      C.announce(t("assign_none_selected"), true);
      return null;
    }
    return { id, reference: (C.state.incidents.get(id) || {}).reference || `#${id}`,
      detail: C.detail.data() || {} };
  }

  // Offered to every victim at close, screened or not; the VK only when suggested (or recorded).
  const ALWAYS_ASKED = ["victim_support", "psychosocial_support"];

  function asksAtClose(r) {
    return ALWAYS_ASKED.includes(r.kind) || r.suggested || (r.status && r.status !== "suggested");
  }

  /** One select per referral: what the victim answered, or why it was not offered. The server
   * refuses an unanswered one (its message shows under the field). */
  function referralQuestions(asked, list) {
    const R = window.NWReferrals;
    const questions = asked.map((r) => {
      const control = select([["", t("choose")], ...R.choices(r, list)], R.current(r));
      const box = field(`referrals.${r.kind}`, R.text(r.label), control);
      if (r.suggested && r.reason_label) {
        const why = el("p", { class: "ref-why", id: `action-referrals.${r.kind}-why`,
          text: t("referral_why", { reason: R.text(r.reason_label) }) });
        control.setAttribute("aria-describedby", why.id);
        box.insertBefore(why, control.nextSibling);
      }
      return box;
    });
    return el("fieldset", { class: "close-referrals" },
      el("legend", { text: t("field_referrals") }),
      el("p", { class: "hint", text: t("referrals_hint") }), questions);
  }

  function reasonField() {
    return field("reason", t("field_reason"), el("input", { maxlength: "500", required: true }));
  }

  const ACTIONS = {
    message(inc) {
      const units = C.detail.activeAssignments();
      if (!units.length) {
        C.announce(t("no_unit_to_text"), true);
        return;
      }
      show({ name: "message", title: t("action_message", inc), submit: t("send"),
        fields: [
          field("unit_id", t("field_unit"), select(units.map((a) => [String(a.unit_id), a.call_sign]))),
          field("text", t("field_text"), el("textarea", { rows: "3", maxlength: "300", required: true })),
        ],
        run: (v) => api("POST", `/api/v1/units/${v.unit_id}/messages`,
          { text: v.text, incident_id: inc.id }),
        done: (v) => t("done_message", { unit: (units.find((a) => String(a.unit_id) === v.unit_id) || {}).call_sign }),
      });
    },

    async close(inc) {
      if (dispositions === null) {
        try {
          dispositions = (await api("GET", "/api/v1/dispositions")).items;
        } catch (err) {
          C.announce(t("load_failed", { message: err.message }), true);
          return;
        }
      }
      let referrals;
      try {
        referrals = await api("GET", `/api/v1/incidents/${inc.id}/referrals`);
      } catch (err) {
        C.announce(t("load_failed", { message: err.message }), true);
        return;
      }
      const asked = referrals.items.filter(asksAtClose);
      const lang = document.documentElement.lang || "nl";
      show({ name: "close", title: t("action_close", inc), submit: t("action_close", inc),
        fields: [
          field("disposition", t("field_disposition"), select(dispositions.map((d) =>
            [d.code, d.label[lang] || d.label.nl || d.code]))),
          referralQuestions(asked, referrals),
          field("note", t("field_note"), el("textarea", { rows: "2", maxlength: "2000" })),
        ],
        run: (v) => api("POST", `/api/v1/incidents/${inc.id}/close`, {
          disposition: v.disposition,
          note: v.note || null,
          referrals: Object.fromEntries(asked.map((r) =>
            [r.kind, window.NWReferrals.answer(v[`referrals.${r.kind}`])])),
        }),
        done: () => t("done_close", inc),
      });
    },

    priority(inc) {
      const now = inc.detail.priority || (C.state.incidents.get(inc.id) || {}).priority;
      // A score or a person may raise urgency; only a supervisor lowers it (with a reason).
      const offered = PRIORITIES.filter((p) => supervisor || PRIORITIES.indexOf(p) < PRIORITIES.indexOf(now));
      if (!offered.length) {
        C.announce(t("lower_needs_supervisor"), true);
        return;
      }
      show({ name: "priority", title: t("action_priority", inc), submit: t("confirm"),
        fields: [
          field("priority", t("field_priority"), select(offered.map((p) => [p, `${p} · ${label("priority", p)}`]),
            offered.includes(now) ? now : offered[offered.length - 1])),
          reasonField(),
        ],
        run: (v) => api("POST", `/api/v1/incidents/${inc.id}/priority`, v),
        done: (v) => t("done_priority", { ...inc, priority: v.priority }),
      });
    },

    note() {
      const link = $("note-link");
      if (C.detail.current() !== null) link.click();
    },

    restrict(inc) {
      const lift = Boolean(inc.detail.restricted);
      show({ name: "restrict", title: t(lift ? "action_unrestrict" : "action_restrict", inc),
        submit: t("confirm"), fields: lift ? [] : [reasonField()],
        run: (v) => api(lift ? "DELETE" : "POST", `/api/v1/incidents/${inc.id}/restriction`,
          lift ? undefined : v),
        done: () => t(lift ? "done_unrestrict" : "done_restrict", inc),
      });
    },

    hold(inc) {
      const lift = Boolean(inc.detail.legal_hold);
      show({ name: "hold", title: t(lift ? "action_unhold" : "action_hold", inc),
        submit: t("confirm"), fields: lift ? [] : [reasonField()],
        run: (v) => api(lift ? "DELETE" : "POST", `/api/v1/incidents/${inc.id}/legal-hold`,
          lift ? undefined : v),
        done: () => t(lift ? "done_unhold" : "done_hold", inc),
      });
    },
  };

  /** Run an action on the open incident (from its button or its key). */
  function open(name) {
    const inc = incident();
    if (inc === null || !ACTIONS[name]) return;
    ACTIONS[name](inc);
  }

  /** Release a unit from the open incident (with a reason: it is on the timeline). */
  function release(assignment) {
    const inc = incident();
    if (inc === null) return;
    const vars = { unit: assignment.call_sign, reference: inc.reference };
    show({ name: "release", title: t("action_release", vars), submit: t("release"),
      fields: [reasonField(), el("p", { class: "hint", text: t("reassign_hint") })],
      run: (v) => api("POST", `/api/v1/assignments/${assignment.id}/release`, v),
      done: () => t("done_release", vars),
    });
  }

  const STATUSES = ["available", "acknowledged", "en_route", "on_scene", "transporting", "off_duty"];

  /** Set a unit's status by hand (a radio call, a unit without a phone), with a reason. */
  function unitStatus(unit) {
    show({ name: "status", title: t("action_status", { unit: unit.call_sign }), submit: t("confirm"),
      fields: [
        field("status", t("field_status"), select(STATUSES.map((s) => [s, label("unit", s)]),
          STATUSES.includes(unit.status) ? unit.status : "available")),
        reasonField(),
      ],
      run: (v) => api("POST", `/api/v1/units/${unit.id}/status`, v),
      done: (v) => t("done_status", { unit: unit.call_sign, status: label("unit", v.status) }),
    });
  }

  $("action-form").addEventListener("submit", submit);
  $("action-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    running = null;
    const back = $("h-detail");
    if (back) back.focus();
  });
  $("actions").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button) open(button.dataset.action);
  });

  C.actions = { open, release, unitStatus };
})();
