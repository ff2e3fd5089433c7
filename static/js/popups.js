/* UNMS pop-ups: shows alarm pop-ups pushed over /ws/notifications/ until acknowledged.
 *
 * Load on any page of a logged-in user (templates/notifications/_popups.html does it).
 * - every open page of the user receives each pop-up; acknowledging on one closes all;
 * - sound goes through the page's one horn (horn.js): it plays only once armed with a
 *   click (browsers' autoplay policy), Silence stops it, acknowledging releases it. On
 *   the console the alarm panel's Sound/Silence buttons control it; on other pages the
 *   pop-ups show the same two buttons themselves;
 * - when the tab is hidden, the browser's Notification API is used as well, if the user
 *   granted permission when arming the sound (never asked on load);
 * - reconnects with back-off; on connect the server replays unacknowledged pop-ups.
 */
import { horn } from "./horn.js";

const root = document.getElementById("unms-popups");
if (root) start(root);

function start(root) {
  const shown = new Map(); // id -> element
  let retry = 1000;
  let socket = null; // the current connection: a pop-up outlives the one that brought it
  const acks = new Set(); // acknowledged here, not yet sent (socket down): sent on open

  function acknowledge(ids) {
    for (const id of ids) acks.add(id);
    if (!acks.size || !socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "ack", ids: [...acks] }));
    acks.clear();
  }

  function desktop(p) {
    if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
    const n = new Notification(p.subject, { body: p.alarms.map(a => a.ups + ": " + a.condition).slice(0, 5).join("\n"), tag: "unms-" + p.id });
    n.onclick = () => { window.focus(); window.location.href = p.url; };
  }

  function show(p) {
    if (shown.has(p.id)) return;
    const box = document.createElement("section");
    box.className = "unms-popup severity-" + p.severity;
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-label", p.subject);
    const title = document.createElement("h2");
    title.textContent = p.subject;
    box.appendChild(title);
    const list = document.createElement("ul");
    for (const a of p.alarms.slice(0, 20)) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = a.url; link.textContent = a.ups || "test";
      li.append(a.severity.toUpperCase() + " " + a.condition + " — ", link, a.site ? " @ " + a.site : "");
      list.appendChild(li);
    }
    if (p.alarms.length > 20) { const li = document.createElement("li"); li.textContent = "… and " + (p.alarms.length - 20) + " more"; list.appendChild(li); }
    box.appendChild(list);
    const ack = document.createElement("button");
    ack.type = "button"; ack.textContent = "Acknowledge";
    ack.onclick = () => acknowledge(p.ids);
    box.appendChild(ack);
    root.appendChild(box);
    for (const id of p.ids) shown.set(id, box);
    if (p.sound) for (const id of p.ids) horn.sound(p.severity, "popup:" + id);
    desktop(p);
  }

  function dismiss(ids) {
    for (const id of ids) {
      const el = shown.get(id);
      if (el) { el.remove(); shown.delete(id); }
      acks.delete(id);
      horn.release("popup:" + id);
    }
  }

  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/notifications/");
    socket = ws;
    ws.onopen = () => { retry = 1000; acknowledge([]); };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === "popup.show") show(msg.popup);
      else if (msg.type === "popup.dismiss") dismiss(msg.ids);
    };
    ws.onclose = () => { setTimeout(connect, retry); retry = Math.min(retry * 2, 30000); };
  }

  // The console's alarm panel has the page's sound controls already (alarms.js attaches
  // them to the same horn); a second pair would only confuse.
  const controls = document.getElementById("unms-popups-sound");
  if (controls && !document.getElementById("sound-toggle")) {
    controls.hidden = false;
    horn.attach(document.getElementById("unms-popups-arm"), document.getElementById("unms-popups-silence"));
  }
  horn.addEventListener("arming", () => {
    if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
  });
  connect();
}
