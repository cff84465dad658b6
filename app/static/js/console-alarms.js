/* Nachtwacht console: the alarm list (escalations, failed SMS, free-text SMS) and its sound.
 * The sound is two short tones made with WebAudio (no audio files); muting is remembered in
 * localStorage. Alarm texts come from officers' phones: they are put in the page as text only. */
(function () {
  "use strict";
  const { el, t } = window.NW;
  const C = (window.NWConsole = window.NWConsole || {});
  const MUTE_KEY = "nachtwacht.console.muted";
  const REPEAT_MS = 20000; // an unacknowledged alarm sounds again until someone acknowledges it
  const $ = (id) => document.getElementById(id);
  const list = $("alarms");
  let audio = null;
  let muted = readMuted();
  let serial = 0;
  const seen = new Set(); // keys of standing alarms already shown

  function readMuted() {
    try {
      return window.localStorage.getItem(MUTE_KEY) === "1";
    } catch (err) {
      return false;
    }
  }

  function timeText(date) {
    return date.toLocaleTimeString("nl-BE", { timeZone: "Europe/Brussels" });
  }

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

  function tone(ctx, frequency, start) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.35, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.16);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + 0.18);
  }

  /** Play the alarm sound unless muted; returns whether it played. */
  function beep() {
    if (muted || !audio) return false;
    try {
      if (audio.state === "suspended") audio.resume().catch(() => {});
      const now = audio.currentTime + 0.01;
      tone(audio, 880, now);
      tone(audio, 660, now + 0.2);
      tone(audio, 880, now + 0.4);
    } catch (err) {
      return false;
    }
    const root = $("console");
    root.dataset.alarmSounds = String(Number(root.dataset.alarmSounds || 0) + 1);
    return true;
  }

  function renderMute() {
    const button = $("mute");
    button.setAttribute("aria-pressed", muted ? "true" : "false");
    button.classList.toggle("is-muted", muted);
    let text = t("alarm_sound_on");
    if (muted) text = t("alarm_sound_off");
    else if (!audio || audio.state !== "running") text = t("alarm_sound_locked");
    $("mute-label").textContent = text;
  }

  /** Switch the alarm sound off or on (remembered in this browser). */
  function toggleMute() {
    muted = !muted;
    try {
      window.localStorage.setItem(MUTE_KEY, muted ? "1" : "0");
    } catch (err) {
      /* private mode: the choice lasts until the page is left */
    }
    renderMute();
    C.announce(muted ? t("alarm_sound_off") : t("alarm_sound_on"));
  }

  function refreshCount() {
    const items = list.querySelectorAll("li.alarm");
    const open = list.querySelectorAll("li.alarm:not(.acked)").length;
    $("alarm-count").textContent = String(open);
    $("alarm-count").classList.toggle("has-open", open > 0);
    $("no-alarms").hidden = items.length > 0;
    $("alarms-card").classList.toggle("has-open", open > 0);
  }

  function acknowledge(item) {
    const hadFocus = item.contains(document.activeElement);
    item.classList.add("acked");
    item.dataset.acked = "1";
    const ack = item.querySelector("button.ack");
    const note = el("span", { class: "acked-note",
      text: t("acknowledged_at", { time: timeText(new Date()) }) });
    if (ack) ack.replaceWith(note);
    refreshCount();
    if (!hadFocus) return;
    const next = list.querySelector("li.alarm:not(.acked) button.ack") ||
      item.querySelector("button.dismiss");
    if (next) next.focus();
  }

  function dismiss(item) {
    const items = [...list.querySelectorAll("li.alarm")];
    const index = items.indexOf(item);
    const hadFocus = item.contains(document.activeElement);
    item.remove();
    refreshCount();
    if (!hadFocus) return;
    const rest = [...list.querySelectorAll("li.alarm")];
    const target = rest[Math.min(index, rest.length - 1)];
    if (target) target.querySelector("button").focus();
    else $("h-alarms").focus();
  }

  /**
   * Add an alarm at the top of the list.
   * spec: {kind, title, text (hostile, optional), incidentId, reference, severity, sound,
   *        key (optional: an alarm with a key already shown is not added again)}
   */
  function add(spec) {
    // The same standing alarm may arrive live and again in a later board snapshot: once only.
    if (spec.key) {
      if (seen.has(spec.key)) return null;
      seen.add(spec.key);
    }
    serial += 1;
    const item = el("li", {
      class: `alarm alarm-${spec.severity || "high"}`,
      dataset: { kind: spec.kind, alarmId: String(serial), incidentId: spec.incidentId || "" },
      role: spec.severity === "info" ? null : "alert",
    });
    const head = el("div", { class: "alarm-head" },
      el("time", { class: "alarm-time", datetime: new Date().toISOString(), text: timeText(new Date()) }),
      el("strong", { class: "alarm-title", text: spec.title }));
    item.append(head);
    if (spec.text !== undefined && spec.text !== null) {
      item.append(el("blockquote", { class: "alarm-text", text: spec.text || "—" }));
    }
    const actions = el("div", { class: "alarm-actions" });
    if (spec.incidentId && C.detail) {
      const open = el("button", { type: "button", class: "secondary open",
        text: t("open", { reference: spec.reference || `#${spec.incidentId}` }) });
      open.addEventListener("click", () => C.detail.open(Number(spec.incidentId), { focus: true }));
      actions.append(open);
    }
    const ack = el("button", { type: "button", class: "save ack", text: t("acknowledge") });
    ack.addEventListener("click", () => acknowledge(item));
    const gone = el("button", { type: "button", class: "secondary dismiss", text: t("dismiss") });
    gone.addEventListener("click", () => dismiss(item));
    actions.append(ack, gone);
    item.append(actions);
    if (spec.severity === "info") acknowledge(item);
    list.prepend(item);
    refreshCount();
    if (spec.sound !== false) beep();
    return item;
  }

  /** Focus the first open alarm (or the list's heading). */
  function focus() {
    const target = list.querySelector("li.alarm:not(.acked) button.ack") ||
      list.querySelector("li.alarm button");
    (target || $("h-alarms")).focus();
  }

  setInterval(() => {
    if (list.querySelector("li.alarm:not(.acked)")) beep();
  }, REPEAT_MS);
  document.addEventListener("keydown", unlock, { capture: true });
  document.addEventListener("pointerdown", unlock, { capture: true });
  $("mute").addEventListener("click", toggleMute);
  renderMute();
  refreshCount();

  C.alarms = { add, focus, toggleMute, isMuted: () => muted };
})();
