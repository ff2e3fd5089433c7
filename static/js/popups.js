/* UNMS pop-ups: shows alarm pop-ups pushed over /ws/notifications/ until acknowledged.
 *
 * Load on any page of a logged-in user (templates/notifications/_popups.html does it).
 * - every open page of the user receives each pop-up; acknowledging on one closes all;
 * - a sound plays only once the user armed it with a click (browsers' autoplay policy);
 * - when the tab is hidden, the browser's Notification API is used as well, if the user
 *   granted permission from the "Desktop alerts" button (never asked on load);
 * - reconnects with back-off; on connect the server replays unacknowledged pop-ups.
 */
(function () {
  "use strict";
  const root = document.getElementById("unms-popups");
  if (!root) return;
  const shown = new Map(); // id -> element
  let audio = null;        // AudioContext, created by the arm click
  let retry = 1000;

  function beep(severity) {
    if (!audio || audio.state !== "running") return;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = severity === "critical" ? 880 : 660;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.4);
  }

  function desktop(p) {
    if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
    const n = new Notification(p.subject, { body: p.alarms.map(a => a.ups + ": " + a.condition).slice(0, 5).join("\n"), tag: "unms-" + p.id });
    n.onclick = () => { window.focus(); window.location.href = p.url; };
  }

  function show(p, ws) {
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
    ack.onclick = () => ws.send(JSON.stringify({ type: "ack", ids: p.ids }));
    box.appendChild(ack);
    root.appendChild(box);
    for (const id of p.ids) shown.set(id, box);
    if (p.sound) beep(p.severity);
    desktop(p);
  }

  function dismiss(ids) {
    for (const id of ids) { const el = shown.get(id); if (el) { el.remove(); shown.delete(id); } }
  }

  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/notifications/");
    ws.onopen = () => { retry = 1000; };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === "popup.show") show(msg.popup, ws);
      else if (msg.type === "popup.dismiss") dismiss(msg.ids);
    };
    ws.onclose = () => { setTimeout(connect, retry); retry = Math.min(retry * 2, 30000); };
  }

  const arm = document.getElementById("unms-popups-arm");
  if (arm) arm.onclick = () => {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    audio.resume();
    arm.textContent = "Sound: ARMED";
    if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
  };
  connect();
})();
