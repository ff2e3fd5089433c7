// Site map: live icons on a floor plan; staff place them by drag and drop (or arrow keys).
//
// Positions are fractions of the plan (0..1), so they survive a resized window or a
// replaced image of the same plan.

import { connectLive, readConfig } from "./live.js";
import { TileStore, renderTile } from "./tiles.js";

const config = readConfig();
const canvas = document.getElementById("map-canvas");
const tray = document.getElementById("tray");
const toggle = document.getElementById("edit-toggle");
const status = document.getElementById("save-status");
const csrf = document.querySelector("#map-csrf [name=csrfmiddlewaretoken]").value;
const store = new TileStore([]);

const pins = new Map();
for (const pin of document.querySelectorAll(".pin[data-ups]")) pins.set(Number(pin.dataset.ups), pin);

store.onChange((changed) => {
  for (const p of changed) {
    const pin = pins.get(p.ups_id);
    if (pin) renderTile(pin, p, []);
  }
});

connectLive({
  path: "/ws/fleet/",
  loginUrl: config.loginUrl,
  onMessage(message) {
    if (message.type === "fleet.snapshot") {
      store.putAll((message.upses || []).filter((p) => pins.has(p.ups_id)));
    } else if (message.type === "ups.state" && pins.has(message.ups_id)) {
      store.put(message);
    }
  },
});

// Positions come as data attributes: the CSP forbids inline style attributes, while
// styles set from a script (CSSOM) are allowed.
for (const pin of canvas.querySelectorAll(".pin[data-x]")) {
  place(pin, Number(pin.dataset.x), Number(pin.dataset.y));
}

// --- editing (staff only: the server checks again) -------------------------------------

let editing = false;

function place(pin, x, y) {
  pin.style.left = `calc(${x.toFixed(5)} * 100%)`;
  pin.style.top = `calc(${y.toFixed(5)} * 100%)`;
  pin.dataset.x = x.toFixed(5);
  pin.dataset.y = y.toFixed(5);
}

async function save(pin, x, y) {
  status.textContent = "Saving…";
  try {
    const response = await fetch(canvas.dataset.saveUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      credentials: "same-origin",
      body: JSON.stringify({ ups: Number(pin.dataset.ups), x, y }),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    status.textContent = `Saved ${pin.querySelector(".name").textContent}.`;
    document.body.dataset.saved = String(Number(document.body.dataset.saved || 0) + 1);
  } catch (error) {
    status.textContent = `Not saved: ${error.message}.`;
  }
}

function fractionAt(event) {
  const rect = canvas.getBoundingClientRect();
  const clamp = (v) => Math.min(1, Math.max(0, v));
  return [clamp((event.clientX - rect.left) / rect.width), clamp((event.clientY - rect.top) / rect.height)];
}

function overTray(event) {
  const rect = tray.getBoundingClientRect();
  return event.clientX >= rect.left && event.clientX <= rect.right && event.clientY >= rect.top && event.clientY <= rect.bottom;
}

let drag = null;

document.addEventListener("pointerdown", (event) => {
  const pin = event.target.closest(".pin");
  if (!editing || !pin) return;
  event.preventDefault();
  pin.setPointerCapture(event.pointerId);
  drag = { pin, moved: false };
  pin.classList.add("dragging");
});

document.addEventListener("pointermove", (event) => {
  if (!drag) return;
  drag.moved = true;
  if (drag.pin.parentElement !== canvas) {
    const holder = drag.pin.parentElement;
    canvas.append(drag.pin);
    if (holder && holder.tagName === "LI") holder.remove();
  }
  const [x, y] = fractionAt(event);
  place(drag.pin, x, y);
});

document.addEventListener("pointerup", async (event) => {
  if (!drag) return;
  const { pin, moved } = drag;
  drag = null;
  pin.classList.remove("dragging");
  if (!moved) return;
  if (overTray(event)) {
    // Dropped back on the list: off the map.
    const li = document.createElement("li");
    pin.removeAttribute("style");
    li.append(pin);
    tray.append(li);
    await save(pin, null, null);
    return;
  }
  const [x, y] = fractionAt(event);
  place(pin, x, y);
  await save(pin, x, y);
});

// In edit mode a click places, it does not open the UPS.
document.addEventListener("click", (event) => {
  if (editing && event.target.closest(".pin")) event.preventDefault();
});

// Keyboard: arrows move the focused pin by 1 % (Shift: 5 %), saved when keys rest.
let keyTimer = null;
canvas.addEventListener("keydown", (event) => {
  const pin = event.target.closest(".pin");
  const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  if (!editing || !pin || !steps[event.key]) return;
  event.preventDefault();
  const step = event.shiftKey ? 0.05 : 0.01;
  const [dx, dy] = steps[event.key];
  const clamp = (v) => Math.min(1, Math.max(0, v));
  const x = clamp(Number(pin.dataset.x || 0.5) + dx * step);
  const y = clamp(Number(pin.dataset.y || 0.5) + dy * step);
  place(pin, x, y);
  clearTimeout(keyTimer);
  keyTimer = setTimeout(() => save(pin, x, y), 600);
});

if (toggle) {
  toggle.addEventListener("click", () => {
    editing = !editing;
    toggle.setAttribute("aria-pressed", String(editing));
    toggle.textContent = editing ? "Done editing" : "Edit positions";
    document.body.classList.toggle("editing", editing);
  });
}
