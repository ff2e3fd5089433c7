// UPS state store and tile rendering, shared by the dashboard and the site maps.
//
// Messages may arrive at 100 per second; the DOM is touched once per animation frame,
// for the UPSs whose visible text changed, and only in the parts that changed.

export function formatValue(values, column) {
  const v = values || {};
  const num = (x, unit) => (x === null || x === undefined ? "—" : `${Math.round(x)} ${unit}`);
  const minutes = (s) => (s === null || s === undefined ? "—" : `${Math.round(s / 60)} min`);
  switch (column) {
    case "load":
      return `Load ${num(v.load, "%")}`;
    case "charge":
      return `Charge ${num(v.charge, "%")}`;
    case "runtime":
      return `Runtime ${minutes(v.runtime)}`;
    case "on_battery":
      return v.on_battery_s ? `On battery ${minutes(v.on_battery_s)}` : "";
    default:
      return "";
  }
}

export function formatAge(iso, now = Date.now()) {
  if (!iso) return "no data yet";
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (seconds < 90) return `no data for ${Math.round(seconds)} s`;
  if (seconds < 5400) return `no data for ${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `no data for ${(seconds / 3600).toFixed(1)} h`;
  return `no data for ${Math.round(seconds / 86400)} days`;
}

// What a tile shows; two payloads with the same key draw the same tile.
function visibleKey(p, columns) {
  return [
    p.state,
    p.word,
    (p.reasons || []).join("; "),
    columns.map((c) => formatValue(p.values, c)).join("|"),
    p.state === "comm_lost" ? p.last_success_at : "",
  ].join("\u0001");
}

export class TileStore {
  constructor(columns) {
    this.columns = columns || [];
    this.data = new Map(); // ups_id -> last payload
    this.keys = new Map(); // ups_id -> visible key
    this.pending = new Map();
    this.listeners = [];
    this.scheduled = false;
  }

  onChange(listener) {
    this.listeners.push(listener);
  }

  put(payload) {
    this.pending.set(payload.ups_id, payload);
    this.schedule();
  }

  putAll(payloads) {
    for (const p of payloads) this.pending.set(p.ups_id, p);
    this.schedule();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    // A hidden tab gets no frames: updates wait in `pending` (one per UPS at most)
    // and are drawn at once when it is shown again.
    requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.scheduled = false;
    const changed = [];
    for (const [id, p] of this.pending) {
      const key = visibleKey(p, this.columns);
      this.data.set(id, p);
      if (this.keys.get(id) !== key) {
        this.keys.set(id, key);
        changed.push(p);
      }
    }
    this.pending.clear();
    if (changed.length) for (const listener of this.listeners) listener(changed);
  }
}

const iconCache = new Map();

export function iconFor(state) {
  if (!iconCache.has(state)) {
    const template = document.getElementById("state-icons");
    const holder = template && template.content.querySelector(`[data-state="${state}"]`);
    iconCache.set(state, holder ? holder.innerHTML : "");
  }
  return iconCache.get(state);
}

function setText(node, text) {
  if (node && node.textContent !== text) node.textContent = text;
}

// Update one existing tile (dashboard `li.tile` or map `a.pin`) in place.
export function renderTile(node, p, columns) {
  const previous = node.dataset.state;
  if (previous !== p.state) {
    node.classList.remove(`state-${previous}`);
    node.classList.add(`state-${p.state}`);
    node.dataset.state = p.state;
    node.dataset.rank = String(p.rank);
    const icon = node.querySelector(".icon");
    if (icon) icon.outerHTML = iconFor(p.state);
  }
  setText(node.querySelector(".word"), p.word);
  setText(node.querySelector(".reason"), (p.reasons || []).join("; "));
  const values = node.querySelector(".values");
  if (values) {
    for (const column of columns) {
      setText(values.querySelector(`[data-v="${column}"]`), formatValue(p.values, column));
    }
  }
  const age = node.querySelector(".age");
  if (age) {
    const lost = p.state === "comm_lost";
    if (age.hidden === lost) age.hidden = !lost;
    setText(age, lost ? formatAge(p.last_success_at) : "");
    if (lost && age.dataset.since !== (p.last_success_at || "")) age.dataset.since = p.last_success_at || "";
  }
  const title = `${p.label}${p.reasons && p.reasons.length ? ": " + p.reasons.join("; ") : ""}`;
  if (node.title !== title) node.title = title;
}

// Comm-lost ages move with the clock, not with messages.
export function tickAges(root) {
  for (const age of root.querySelectorAll(".age:not([hidden])")) {
    if (age.dataset.since !== undefined) setText(age, formatAge(age.dataset.since || null));
  }
}
