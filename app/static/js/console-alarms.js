/* Nachtwacht console: the alarm bar. Alarms live on the server (GET /api/v1/alarms, in the board
 * snapshot, and live as alarm.raised / alarm.acknowledged / alarm.resolved): one acknowledgement
 * quiets every console and survives a reload. Most severe first, then oldest. The sound is made
 * with WebAudio (no files): critical alarms and a new P1 have their own tone; the mute setting is
 * kept per user on the server. Texts from phones are hostile: textContent only. */
(function () {
  "use strict";
  const { api, el, label, t } = window.NW;
  const C = (window.NWConsole = window.NWConsole || {});
  const $ = (id) => document.getElementById(id);
  const list = $("alarms");
  const RANK = { critical: 0, high: 1, normal: 2 };
  const REPEAT_MS = { critical: 10000, high: 20000 }; // normal alarms sound once
  const UNIT_TEXTS = ["unit_text", "unit_help", "unit_danger"]; // read with the list
  const alarms = new Map(); // id -> alarm (server fields, plus text once read)
  const notices = []; // local notes that need no acknowledgement (handover notes, account alerts)
  let audio = null;
  let muted = false;
  const lastSound = new Map(); // id -> when it last sounded

  function timeText(iso) {
    return new Date(iso).toLocaleTimeString("nl-BE", { timeZone: "Europe/Brussels",
      hour: "2-digit", minute: "2-digit" });
  }

  /* ---- sound -------------------------------------------------------------------------- */

  /* Browsers only let a page make sound after the user pressed a key or clicked on it. */
  function unlock() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      if (!audio) audio = new Ctx();
      if (audio.state === "suspended") audio.resume().then(renderMute, () => {});
    } catch (err) {
      audio = null;
    }
    renderMute();
  }

  function tone(frequency, start, length, type) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = type || "sine";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.35, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    osc.connect(gain).connect(audio.destination);
    osc.start(start);
    osc.stop(start + length + 0.02);
  }

  const PATTERNS = {
    critical: [[988, 0, 0.14, "square"], [740, 0.16, 0.14, "square"], [988, 0.32, 0.14, "square"],
      [740, 0.48, 0.14, "square"]],
    high: [[880, 0, 0.16], [660, 0.2, 0.16], [880, 0.4, 0.16]],
    normal: [[660, 0, 0.2]],
    // An officer in distress: a fast siren sweep no other alarm makes.
    distress: [[1200, 0, 0.1, "sawtooth"], [600, 0.1, 0.1, "sawtooth"], [1200, 0.2, 0.1, "sawtooth"],
      [600, 0.3, 0.1, "sawtooth"], [1200, 0.4, 0.1, "sawtooth"], [600, 0.5, 0.1, "sawtooth"]],
    p1: [[523, 0, 0.12, "triangle"], [659, 0.13, 0.12, "triangle"], [784, 0.26, 0.12, "triangle"],
      [1047, 0.39, 0.25, "triangle"]],
  };

  /** Play a pattern (critical, high, normal, p1); muting silences all but critical alarms (a
   * P1 waiting without a unit, a unit silent after the supervisor was alerted). */
  function sound(kind) {
    if ((muted && kind !== "critical" && kind !== "distress") || !audio) return false;
    try {
      if (audio.state === "suspended") audio.resume().catch(() => {});
      const now = audio.currentTime + 0.01;
      PATTERNS[kind].forEach(([f, at, len, type]) => tone(f, now + at, len, type));
    } catch (err) {
      return false;
    }
    const root = $("console");
    root.dataset.alarmSounds = String(Number(root.dataset.alarmSounds || 0) + 1);
    root.dataset.lastSound = kind;
    return true;
  }

  /** The tone of an alarm: distress has its own, the rest sound by severity. */
  function pattern(a) {
    if (a.kind === "distress") return "distress";
    return a.severity === "critical" ? "critical" : a.severity === "high" ? "high" : "normal";
  }

  function renderMute() {
    const button = $("mute");
    button.setAttribute("aria-pressed", muted ? "true" : "false");
    button.classList.toggle("is-muted", muted);
    const locked = !muted && (!audio || audio.state !== "running");
    let text = t("alarm_sound_on");
    if (muted) text = t("alarm_sound_off");
    else if (locked) text = t("alarm_sound_locked");
    $("mute-label").textContent = text;
    $("sound-unlock").classList.toggle("is-unlocked", !locked);
    $("sound-unlock").setAttribute("aria-hidden", locked ? "false" : "true");
    $("sound-unlock").tabIndex = locked ? 0 : -1;
  }

  /** Switch the alarm sound off or on for this user (kept on the server). */
  async function toggleMute() {
    muted = !muted;
    renderMute();
    C.announce(muted ? t("alarm_sound_off") : t("alarm_sound_on"));
    try {
      await api("POST", "/api/v1/me/sound", { muted });
    } catch (err) {
      C.announce(t("sound_failed", { message: err.message }), true);
    }
  }

  /* ---- the list ----------------------------------------------------------------------- */

  function title(a) {
    const vars = {
      unit: a.call_sign || "?",
      reference: a.reference || (a.incident_id ? `#${a.incident_id}` : "—"),
      reason: a.detail && a.detail.reason ? label("reason", a.detail.reason) : "",
      organisation: (a.detail && a.detail.organisation) || "",
      date: (a.detail && a.detail.handover_date) || "",
      number: a.from_number || "?",
      kind: a.kind,
    };
    let key = `alarm_${a.kind}`;
    if (a.kind === "unit_text" && !a.incident_id) key = "alarm_unit_text_no_incident";
    if (a.kind === "unknown_sender" && a.from_number) key = "alarm_unknown_sender_from";
    const count = a.detail && a.detail.messages;
    if (a.kind === "unknown_sender" && a.from_number && count > 1) {
      key = "alarm_unknown_sender_more";
      vars.n = count;
    }
    return t(key, vars) === key ? t("alarm_other", vars) : t(key, vars);
  }

  function sorted() {
    return [...alarms.values()].sort((a, b) =>
      (a.acknowledged_at ? 1 : 0) - (b.acknowledged_at ? 1 : 0) ||
      RANK[a.severity] - RANK[b.severity] || Date.parse(a.raised_at) - Date.parse(b.raised_at) ||
      a.id - b.id);
  }

  function item(a) {
    const acked = Boolean(a.acknowledged_at);
    const node = el("li", {
      class: `alarm alarm-${a.severity}${acked ? " acked" : ""}`,
      dataset: { kind: a.kind, alarmId: String(a.id), severity: a.severity,
        incidentId: a.incident_id ? String(a.incident_id) : "" },
    });
    node.append(el("div", { class: "alarm-head" },
      el("span", { class: `sev sev-${a.severity}`, text: t(`severity_${a.severity}`) }),
      el("time", { class: "alarm-time", datetime: a.raised_at, text: timeText(a.raised_at) }),
      el("strong", { class: "alarm-title", text: title(a) })));
    const sealed = a.kind === "unknown_sender" && !a.text; // opened on request: the read is audited
    if (a.has_text && !sealed) node.append(el("blockquote", { class: "alarm-text", text: a.text || "…" }));
    const actions = el("div", { class: "alarm-actions" });
    if (sealed) {
      const read = el("button", { type: "button", class: "secondary read", text: t("read_text") });
      read.addEventListener("click", () => readText(a, true));
      actions.append(read);
    }
    if (a.incident_id && C.detail) {
      const open = el("button", { type: "button", class: "secondary open",
        text: t("open", { reference: a.reference || `#${a.incident_id}` }) });
      open.addEventListener("click", () => C.detail.open(Number(a.incident_id), { focus: true }));
      actions.append(open);
    }
    if (acked) {
      actions.append(el("span", { class: "acked-note",
        text: t("acknowledged_by", { user: a.acknowledged_by || "?", time: timeText(a.acknowledged_at) }) }));
    } else {
      const ack = el("button", { type: "button", class: "save ack", text: t("acknowledge") });
      ack.addEventListener("click", () => acknowledge(a.id, node));
      actions.append(ack);
    }
    node.append(actions);
    return node;
  }

  function noticeItem(n, index) {
    const node = el("li", { class: "alarm alarm-info acked", dataset: { kind: n.kind } });
    node.append(el("div", { class: "alarm-head" },
      el("time", { class: "alarm-time", datetime: n.at, text: timeText(n.at) }),
      el("strong", { class: "alarm-title", text: n.title })));
    const actions = el("div", { class: "alarm-actions" });
    if (n.incidentId && C.detail) {
      const open = el("button", { type: "button", class: "secondary open",
        text: t("open", { reference: n.reference || `#${n.incidentId}` }) });
      open.addEventListener("click", () => C.detail.open(Number(n.incidentId), { focus: true }));
      actions.append(open);
    }
    const gone = el("button", { type: "button", class: "secondary dismiss", text: t("dismiss") });
    gone.addEventListener("click", () => {
      notices.splice(index, 1);
      render();
      $("h-alarms").focus();
    });
    actions.append(gone);
    node.append(actions);
    return node;
  }

  function render() {
    const hadFocus = list.contains(document.activeElement);
    const nodes = sorted().map(item).concat(notices.map(noticeItem));
    list.replaceChildren(...nodes);
    const open = [...alarms.values()].filter((a) => !a.acknowledged_at).length;
    $("alarm-count").textContent = String(open);
    $("alarm-count").classList.toggle("has-open", open > 0);
    $("no-alarms").hidden = nodes.length > 0;
    const worst = sorted().find((a) => !a.acknowledged_at);
    $("alarms-card").dataset.worst = worst ? worst.severity : "";
    if (hadFocus && !list.contains(document.activeElement)) focus();
  }

  async function readText(a, focus) {
    try {
      const full = await api("GET", `/api/v1/alarms/${a.id}`);
      if (alarms.has(a.id)) alarms.set(a.id, { ...alarms.get(a.id), ...full });
      render();
      if (focus) {
        const ack = list.querySelector(`li[data-alarm-id="${a.id}"] button.ack`);
        if (ack) ack.focus();
      }
    } catch (err) {
      /* not allowed or gone: the title says enough */
    }
  }

  async function acknowledge(id, node) {
    const button = node.querySelector("button.ack");
    if (button) button.disabled = true;
    try {
      const updated = await api("POST", `/api/v1/alarms/${id}/acknowledge`);
      update(updated);
    } catch (err) {
      if (button) button.disabled = false;
      C.announce(t("ack_failed", { message: err.message }), true);
    }
  }

  /** A raised alarm (live or from the snapshot); `live`: it sounds at once. */
  function raised(a, live) {
    const known = alarms.get(a.id);
    const fresh = a.kind === "unknown_sender"; // a new text from that phone: read it anew
    alarms.set(a.id, { ...known, ...a,
      text: a.text || (!fresh && known && known.text) || null,
      from_number: a.from_number || (!fresh && known && known.from_number) || null });
    // A unit's text is read at once; an unknown sender's only when a dispatcher opens it.
    if (UNIT_TEXTS.includes(a.kind) && !a.text && !(known && known.text)) readText(a);
    render();
    if (live && !a.acknowledged_at) C.announce(title(a)); // screen readers hear it (a list item may not be an alert)
    if (live && !a.acknowledged_at && (!muted || a.severity === "critical")) {
      sound(pattern(a));
      lastSound.set(a.id, Date.now());
    }
  }

  function update(a) {
    if (!alarms.has(a.id)) return;
    if (a.resolved_at) alarms.delete(a.id);
    else alarms.set(a.id, { ...alarms.get(a.id), ...a, text: alarms.get(a.id).text || a.text });
    render();
  }

  /** Replace the standing alarms with the server's list (after a (re)connect). */
  function load(standing, mutedOnServer) {
    alarms.clear();
    (standing || []).forEach((a) => alarms.set(a.id, a));
    if (typeof mutedOnServer === "boolean") muted = mutedOnServer;
    renderMute();
    render();
    for (const a of alarms.values()) if (UNIT_TEXTS.includes(a.kind) && !a.text) readText(a);
  }

  /** A note that needs no acknowledgement (kept in this page only). */
  function notice(spec) {
    notices.unshift({ ...spec, at: new Date().toISOString() });
    notices.splice(8);
    render();
    if (spec.sound) sound("normal");
  }

  /** Focus the first unacknowledged alarm (or the bar's heading). */
  function focus() {
    const target = list.querySelector("li.alarm:not(.acked) button.ack") ||
      list.querySelector("li.alarm button");
    (target || $("h-alarms")).focus();
  }

  // Unacknowledged critical and high alarms sound again until someone acknowledges them.
  setInterval(() => {
    const now = Date.now();
    for (const a of alarms.values()) {
      const every = REPEAT_MS[a.severity];
      if (a.acknowledged_at || !every || now - (lastSound.get(a.id) || 0) < every) continue;
      lastSound.set(a.id, now);
      sound(pattern(a));
      break; // one pattern at a time
    }
  }, 1000);
  document.addEventListener("keydown", unlock, { capture: true });
  document.addEventListener("pointerdown", unlock, { capture: true });
  $("mute").addEventListener("click", toggleMute);
  $("sound-unlock").addEventListener("click", unlock);
  renderMute();
  render();

  C.alarms = { raised, update, load, notice, focus, toggleMute, sound, isMuted: () => muted };
})();
