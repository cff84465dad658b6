/* Nachtwacht risk trajectory on the incident page (issue 19): earlier screens of the same person
 * and address beside this incident's latest, item by item, changed answers marked (◆, bold and a
 * border, never colour alone), the victim's own fear, a small SVG chart of level and score over
 * time, and stable facts as read-only notes. Filled on the page's `incident:loaded` event from
 * GET /api/v1/incidents/<id>/trajectory. Everything is put in the page with textContent. */
(function () {
  "use strict";
  const panel = document.getElementById("trajectory");
  if (!panel) return;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  let strings = null;
  let lastKey = null;
  let seq = 0;

  /** A string of this panel (#i18n-trajectory), {name} placeholders filled in. */
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
    const date = new Date(iso);
    const locale = window.NW.lang() === "en" ? "en-GB" : "nl-BE";
    return date.toLocaleDateString(locale, {
      day: "numeric", month: "short", year: "numeric", timeZone: "Europe/Brussels",
    });
  }

  function number(value) {
    return Number.isInteger(value) ? String(value) : String(Math.round(value * 10) / 10);
  }

  function setStatus(text, kind) {
    const node = $("trajectory-status");
    node.className = "form-status" + (kind ? ` status-${kind}` : "");
    node.textContent = text || "";
  }

  /* ---------- the earlier incidents and the suggestions ---------- */

  function incidentList(data) {
    const { el } = window.NW;
    return el("div", { class: "traj-compared" },
      el("h3", { text: tr("compared") }),
      el("ul", { class: "traj-incidents" }, data.incidents.map((i) =>
        el("li", { dataset: { reference: i.reference } },
          el("a", { href: `/incidents/${i.id}`, text: i.reference }), " · ", day(i.received_at),
          " · ", i.matched_on.map((m) => tr("matched_" + m)).join(", "),
          i.restricted ? el("span", { class: "tag traj-restricted", text: tr("restricted") }) : null))));
  }

  function suggestionNotes(data) {
    const { el } = window.NW;
    if (!data.suggestions.length) return null;
    return el("div", { class: "traj-suggestions", role: "note" },
      el("h3", { text: tr("suggestions") }),
      el("p", { class: "hint", text: tr("suggestions_hint") }),
      el("ul", {}, data.suggestions.map((s) =>
        el("li", { dataset: { item: s.item, instrument: s.instrument } },
          el("span", { class: "traj-q", text: s.text }), " ",
          el("span", { class: "why", text: tr("suggestion_line",
            { date: day(s.at), reference: s.reference, until: day(s.valid_until) }) })))));
  }

  /* ---------- the side-by-side table ---------- */

  function answerText(row, answer) {
    if (answer === null || answer === undefined) return tr("not_asked");
    if (row.kind === "fear") return `${answer}/10`;
    return tr("ans_" + answer);
  }

  /** A change between "no" and "don't know" leaves the score as it was: marked, but quieter. */
  function cellNode(row, cell, before) {
    const { el } = window.NW;
    const kind = row.kind === "fear" ? "fear" : (cell.answer || "none");
    const quiet = row.kind !== "fear" && cell.changed && cell.answer !== "yes" && before !== "yes";
    const cls = `traj-cell ans-${kind}` + (cell.changed ? " changed" : "") + (quiet ? " quiet" : "");
    return el("td", { class: cls },
      cell.changed ? el("span", { class: "traj-mark", "aria-hidden": "true", text: "◆ " }) : null,
      answerText(row, cell.answer),
      cell.changed ? el("span", { class: "visually-hidden", text: ` (${tr("changed")})` }) : null);
  }

  function cellsOf(row) {
    let before = null;
    return row.cells.map((cell) => {
      const node = cellNode(row, cell, before);
      if (cell.answer !== null) before = cell.answer;
      return node;
    });
  }

  function columnHead(column) {
    const { el } = window.NW;
    return el("th", { scope: "col", class: column.current ? "traj-now" : null },
      column.current
        ? el("span", { class: "traj-ref", text: `${column.reference} · ${tr("now")}` })
        : el("a", { class: "traj-ref", href: `/incidents/${column.incident_id}`, text: column.reference }),
      el("span", { class: "traj-date", text: day(column.at) }),
      el("span", { class: "traj-level", text: `${column.level_label} · ${tr("score")} ${number(column.score)}` }));
  }

  function tableNode(inst) {
    const { el } = window.NW;
    const rows = inst.rows.map((row) => el("tr", {
      class: (row.kind === "fear" ? "traj-fear" : "") + (row.cells.some((c) => c.changed) ? " has-change" : ""),
      dataset: { item: row.item },
    },
    el("th", { scope: "row" }, row.text,
      row.stable ? el("span", { class: "tag traj-stable", text: tr("stable") }) : null),
    cellsOf(row)));
    return el("div", { class: "table-wrap" }, el("table", { class: "traj-table" },
      el("caption", { text: tr("caption", { title: inst.title }) }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: tr("question") }),
        inst.columns.map(columnHead))),
      el("tbody", {}, rows)));
  }

  function onlyChangedToggle(section, id) {
    const { el } = window.NW;
    const box = el("input", { type: "checkbox", id });
    box.addEventListener("change", () => section.classList.toggle("only-changed", box.checked));
    return el("label", { class: "check traj-filter", for: id }, box, " ", tr("only_changed"));
  }

  /* ---------- the chart ---------- */

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** Level and score of each screen: y is the score, bands shaded and named, the top level drawn
   * as a filled square, every point labelled with its score (words and shapes, not colour). */
  function chart(inst, points) {
    const W = 460, H = 170, L = 30, R = 90, T = 14, B = 40;
    const w = W - L - R, h = H - T - B;
    const max = Math.max(1, inst.max_score);
    const inset = 40; // room for the first and last point's labels
    const x = (i) => L + (points.length === 1 ? w / 2 : inset + (i * (w - 2 * inset)) / (points.length - 1));
    const y = (score) => T + h - (Math.min(score, max) / max) * h;
    const id = `traj-chart-${inst.instrument}`;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "traj-chart", role: "img",
      "aria-labelledby": `${id}-t ${id}-d` });
    root.append(svg("title", { id: `${id}-t` }, tr("chart", { title: inst.title })));
    root.append(svg("desc", { id: `${id}-d` }, points.map((p) => tr("chart_point",
      { date: day(p.at), reference: p.reference, level: p.level_label, score: number(p.score) })).join("; ")));
    inst.bands.forEach((band, n) => {
      const top = y(band.max === null ? max : Math.min(band.max + 0.5, max));
      const bottom = y(band.min === null ? 0 : Math.max(band.min - 0.5, 0));
      const rank = inst.levels.indexOf(band.level);
      root.append(svg("rect", { x: L, y: top, width: w, height: Math.max(0, bottom - top),
        class: `traj-band band-${rank}` }));
      root.append(svg("text", { x: L + w + 6, y: (top + bottom) / 2 + 4, class: "traj-band-label" },
        inst.level_labels[inst.levels.indexOf(band.level)] || band.level));
      if (n === 0) root.append(svg("line", { x1: L, y1: y(0), x2: L + w, y2: y(0), class: "traj-axis" }));
    });
    root.append(svg("line", { x1: L, y1: T, x2: L, y2: T + h, class: "traj-axis" }));
    root.append(svg("text", { x: L - 4, y: T + 4, class: "traj-tick", "text-anchor": "end" }, String(max)));
    root.append(svg("text", { x: L - 4, y: T + h + 4, class: "traj-tick", "text-anchor": "end" }, "0"));
    if (points.length > 1) {
      root.append(svg("polyline", { class: "traj-line",
        points: points.map((p, i) => `${x(i)},${y(p.score)}`).join(" ") }));
    }
    const top = inst.levels.length - 1;
    points.forEach((p, i) => {
      const cx = x(i), cy = y(p.score);
      root.append(p.level_rank === top
        ? svg("rect", { x: cx - 5, y: cy - 5, width: 10, height: 10, class: "traj-point top" })
        : svg("circle", { cx, cy, r: 4.5, class: "traj-point" }));
      root.append(svg("text", { x: cx, y: cy - 9, "text-anchor": "middle", class: "traj-value" },
        `${number(p.score)} · ${p.level_label}`));
      root.append(svg("text", { x: cx, y: T + h + 16, "text-anchor": "middle", class: "traj-tick" },
        p.current ? tr("now") : day(p.at)));
      root.append(svg("text", { x: cx, y: T + h + 30, "text-anchor": "middle", class: "traj-tick" },
        p.reference.slice(-6)));
    });
    return root;
  }

  /* ---------- rendering ---------- */

  function instrumentSection(inst, data) {
    const { el } = window.NW;
    const points = data.series.filter((p) => p.instrument === inst.instrument);
    const section = el("section", { class: "traj-instrument", dataset: { instrument: inst.instrument },
      "aria-labelledby": `traj-h-${inst.instrument}` });
    section.append(
      el("h3", { id: `traj-h-${inst.instrument}`, text: inst.title }),
      el("div", { class: "traj-chart-wrap" }, chart(inst, points)),
      el("div", { class: "traj-tools" }, el("p", { class: "hint", text: tr("legend_changed") }),
        onlyChangedToggle(section, `traj-only-${inst.instrument}`)),
      tableNode(inst));
    return section;
  }

  function render(data) {
    const body = $("trajectory-body");
    if (!data.incidents.length || !data.instruments.length) {
      body.replaceChildren();
      setStatus(data.incidents.length ? tr("none_screened") : tr("none"));
      return;
    }
    setStatus("");
    body.replaceChildren(incidentList(data), suggestionNotes(data) || "",
      ...data.instruments.map((inst) => instrumentSection(inst, data)));
  }

  /** What the trajectory depends on: reloaded when a screen or a person link changes. */
  function keyOf(detail) {
    return JSON.stringify([detail.id, (detail.assessments || []).map((a) => a.id),
      (detail.persons || []).map((p) => [p.id, p.record_id || null]), detail.address || ""]);
  }

  async function load(detail) {
    const key = keyOf(detail);
    if (key === lastKey) return; // each look is audited: no reload when nothing it shows changed
    lastKey = key;
    const mine = ++seq;
    try {
      const data = await window.NW.api("GET", `/api/v1/incidents/${detail.id}/trajectory`);
      if (mine === seq) render(data);
    } catch (err) {
      if (mine !== seq) return;
      lastKey = null;
      setStatus(tr("failed", { message: err.message }), "error");
    }
  }

  document.addEventListener("incident:loaded", (event) => load(event.detail));
})();
