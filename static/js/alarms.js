// Active-alarms panel: live list, acknowledge, the armed horn, flashing, flood banner.
//
// HP-HMI / ISA-18.2 rules kept here: unacknowledged first, then severity, then time;
// only the unacknowledged marker flashes (1 Hz, CSS), never the text; silencing the horn
// is not acknowledging, and the next new alarm sounds again; a screen-reader live
// region announces new critical alarms. The horn itself (horn.js) is shared with the
// notification pop-ups.

import { horn } from "./horn.js";

const SEVERITY_RANK = { critical: 2, warning: 1 };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function alarmOrder(a, b) {
  if (a.unacked !== b.unacked) return a.unacked ? -1 : 1;
  const sev = (SEVERITY_RANK[b.severity] || 0) - (SEVERITY_RANK[a.severity] || 0);
  if (sev) return sev;
  return b.raised_at < a.raised_at ? -1 : b.raised_at > a.raised_at ? 1 : b.id - a.id;
}

function fingerprint(a, canAck) {
  return [a.state, a.severity, a.message, a.latched, canAck].join("|");
}

export class AlarmPanel {
  constructor(config, onUnackedUpsChange) {
    this.config = config;
    this.onUnackedUpsChange = onUnackedUpsChange || (() => {});
    this.alarms = new Map(); // id -> payload
    this.items = new Map(); // id -> li
    this.prints = new Map(); // id -> fingerprint of the drawn li
    this.seen = new Set(); // ids known to this page: not "new" any more
    this.sounding = new Set(); // new unacked alarms the horn is sounding for
    this.canAck = false;
    this.loaded = false;
    this.list = document.getElementById("alarm-list");
    this.empty = document.getElementById("alarm-empty");
    this.status = document.getElementById("alarm-status");
    this.unackedCount = document.querySelector("[data-unacked-count]");
    this.srAlerts = document.getElementById("sr-alerts");
    this.floodBanner = document.getElementById("flood-banner");
    this.horn = horn;
    horn.attach(document.getElementById("sound-toggle"), document.getElementById("silence"));
    horn.addEventListener("silence", () => this.sounding.clear());
    this.setupBlinkToggle();
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-ack]");
      if (button) this.acknowledge(Number(button.dataset.ack), button);
    });
  }

  setupBlinkToggle() {
    const box = document.getElementById("stop-blinking");
    const apply = () => document.body.classList.toggle("no-blink", box.checked);
    box.checked = localStorage.getItem("unms.noBlink") === "1";
    apply();
    box.addEventListener("change", () => {
      localStorage.setItem("unms.noBlink", box.checked ? "1" : "0");
      apply();
    });
  }

  snapshot(message) {
    this.canAck = Boolean(message.can_acknowledge);
    const fresh = message.alarms || [];
    this.alarms = new Map(fresh.map((a) => [a.id, a]));
    // On the first load every listed alarm is old news; on a reconnect, those that
    // appeared while we were away are new and announced.
    this.arrived(fresh, !this.loaded);
    this.loaded = true;
    this.flood(message.flood);
    this.render();
  }

  upsAlarms(message) {
    for (const [id, a] of this.alarms) if (a.ups_id === message.ups_id) this.alarms.delete(id);
    for (const a of message.alarms) this.alarms.set(a.id, a);
    this.arrived(message.alarms, false);
    this.flood(message.flood);
    this.render();
  }

  arrived(alarms, quietly) {
    const critical = [];
    for (const a of alarms) {
      if (this.seen.has(a.id)) continue;
      this.seen.add(a.id);
      if (quietly || !a.unacked || !a.active) continue;
      this.sounding.add(a.id);
      this.horn.sound(a.severity, `alarm:${a.id}`);
      if (a.severity === "critical") critical.push(a);
    }
    if (critical.length) {
      this.srAlerts.textContent = critical
        .map((a) => `Critical alarm: ${a.ups_name} at ${a.site}, ${a.label}: ${a.message}.`)
        .join(" ");
    }
    // Acknowledged ones stop the horn too, once nothing is left sounding.
    for (const id of this.sounding) {
      const a = this.alarms.get(id);
      if (!a || !a.unacked) {
        this.sounding.delete(id);
        this.horn.release(`alarm:${id}`);
      }
    }
  }

  flood(flood) {
    if (!flood || !this.floodBanner) return;
    this.floodBanner.hidden = !flood.flood;
    if (flood.flood) {
      const minutes = Math.round(flood.window_s / 60);
      const top = (flood.top || []).map(([label, n]) => `${label} (${n})`).join(", ");
      this.floodBanner.querySelector(".flood-text").textContent =
        `${flood.count} alarms in ${minutes} min (more than ${flood.threshold})` +
        (top ? `; top causes: ${top}` : "");
    }
  }

  render() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.draw();
    });
  }

  draw() {
    const ordered = [...this.alarms.values()].sort(alarmOrder);
    for (const [id, li] of this.items) {
      if (!this.alarms.has(id)) {
        li.remove();
        this.items.delete(id);
        this.prints.delete(id);
      }
    }
    let unacked = 0;
    const unackedUps = new Set();
    ordered.forEach((a, index) => {
      if (a.unacked) {
        unacked += 1;
        unackedUps.add(a.ups_id);
      }
      let li = this.items.get(a.id);
      const print = fingerprint(a, this.canAck);
      if (!li) {
        li = el("li");
        this.items.set(a.id, li);
      }
      if (this.prints.get(a.id) !== print) {
        this.fill(li, a);
        this.prints.set(a.id, print);
      }
      // appendChild moves a node: only when it is out of place, so focus stays put.
      if (this.list.children[index] !== li) this.list.insertBefore(li, this.list.children[index] || null);
    });
    this.empty.hidden = ordered.length > 0;
    this.unackedCount.textContent = String(unacked);
    this.onUnackedUpsChange(unackedUps);
  }

  fill(li, a) {
    li.className = `alarm sev-${a.severity} st-${a.state}${a.unacked ? " unacked" : ""}`;
    li.dataset.alarm = String(a.id);
    li.dataset.ups = String(a.ups_id);
    li.replaceChildren();
    const marker = el("span", "alarm-marker");
    marker.setAttribute("aria-hidden", "true");
    li.append(marker);
    if (a.unacked) li.append(el("span", "new-label", a.active ? "NEW" : "RTN"));
    const sev = el("span", `sev sev-${a.severity}`);
    const shape = el("span", "shape");
    shape.setAttribute("aria-hidden", "true");
    sev.append(shape, a.severity === "critical" ? "Critical" : "Warning");
    const what = el("span", "alarm-what");
    const ups = el("a", "alarm-ups", a.ups_name);
    ups.href = this.config.upsUrl.replace("/0/", `/${a.ups_id}/`);
    what.append(ups, el("span", "alarm-site", ` · ${a.site}`));
    const text = el("a", "alarm-msg", `${a.label}: ${a.message}`);
    text.href = a.url;
    const time = el("time", "alarm-time", new Date(a.raised_at).toLocaleTimeString());
    time.dateTime = a.raised_at;
    const state = el("span", "alarm-state-text", a.state_label + (a.latched ? " · latched" : ""));
    li.append(sev);
    if (this.canAck && a.unacked) {
      const button = el("button", "ack", "Ack");
      button.type = "button";
      button.dataset.ack = String(a.id);
      button.setAttribute("aria-label", `Acknowledge ${a.label} on ${a.ups_name}`);
      li.append(button);
    }
    li.append(what, text, time, state);
  }

  async acknowledge(id, button) {
    button.disabled = true;
    button.textContent = "…";
    const token = document.querySelector("#ack-csrf [name=csrfmiddlewaretoken]").value;
    const body = new FormData();
    body.append("alarm", String(id));
    body.append("next", this.config.ackDoneUrl);
    try {
      const response = await fetch(this.config.ackUrl, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": token },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(response.status === 403 ? "not allowed" : `HTTP ${response.status}`);
      const data = await response.json().catch(() => ({ messages: [] }));
      this.status.textContent = (data.messages || []).join(" ") || "Acknowledged.";
      // The push that follows redraws the row; until then, say it is done.
      const a = this.alarms.get(id);
      if (a && a.unacked) {
        this.alarms.set(id, { ...a, unacked: false, state_label: "Acknowledged", state: a.active ? "active_acked" : "cleared" });
        if (!a.active) this.alarms.delete(id);
        this.arrived([], true);
        this.render();
      }
    } catch (error) {
      this.status.textContent = `Could not acknowledge: ${error.message}.`;
      button.disabled = false;
      button.textContent = "Ack";
    }
  }
}
