// The page's one alarm horn, shared by the console's alarm panel (alarms.js) and the
// notification pop-ups (popups.js): one click arms both, one Silence stops both. ES
// modules run once per page, so every importer gets this same instance.
//
// Browsers allow audio only after a gesture, hence the arm click. Silencing is not
// acknowledging: the horn forgets what it was sounding for, and the next new alarm (or
// pop-up) sounds again.

const SEVERITY_RANK = { critical: 2, warning: 1 };
// Tones at least 20 % apart (NUREG-0700), so two priorities sounding together differ.
const TONES = { critical: { hz: 880, pulses: 3 }, warning: { hz: 660, pulses: 1 } };
const HORN_REPEAT_MS = 2500;

class Horn extends EventTarget {
  constructor() {
    super();
    this.context = null;
    this.timer = null;
    this.severity = null;
    this.reasons = new Set(); // what the horn is sounding for, e.g. "alarm:12", "popup:7"
    this.controls = []; // [arm button, silence button] pairs on this page
  }

  // Wire an arm/disarm button and a Silence button (usually one pair per page).
  attach(button, silenceButton) {
    this.controls.push([button, silenceButton]);
    button.addEventListener("click", () => this.toggle());
    silenceButton.addEventListener("click", () => this.silence());
    this.show();
  }

  get armed() {
    return this.context !== null && this.context.state === "running";
  }

  async toggle() {
    if (this.armed) {
      await this.context.suspend();
      this.silence();
    } else {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      // Still inside the click: listeners may ask for other gesture-gated permissions.
      this.dispatchEvent(new Event("arming"));
      if (!this.context) {
        this.context = new Context();
        this.context.addEventListener("statechange", () => this.show());
      }
      await this.context.resume();
      this.tone("warning", 0.15); // a short chirp: the operator hears it works
    }
    this.show();
  }

  show() {
    const armed = this.armed;
    for (const [button] of this.controls) {
      button.textContent = armed ? "Sound: ARMED" : "Sound: OFF — click to arm";
      button.setAttribute("aria-pressed", String(armed));
      button.classList.toggle("sound-off", !armed);
      button.classList.toggle("sound-armed", armed);
    }
    document.body.dataset.sound = armed ? "armed" : "off";
  }

  tone(severity, seconds = 0.25) {
    if (!this.armed) return;
    const { hz, pulses } = TONES[severity] || TONES.warning;
    const now = this.context.currentTime;
    for (let i = 0; i < pulses; i += 1) {
      const osc = this.context.createOscillator();
      const gain = this.context.createGain();
      osc.frequency.value = hz;
      osc.type = "square";
      const start = now + i * (seconds + 0.12);
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + seconds);
      osc.connect(gain).connect(this.context.destination);
      osc.start(start);
      osc.stop(start + seconds + 0.05);
    }
  }

  // Sound (and keep sounding) for the worst severity of what wants the horn.
  sound(severity, reason) {
    this.reasons.add(reason);
    if ((SEVERITY_RANK[severity] || 0) > (SEVERITY_RANK[this.severity] || 0)) {
      this.severity = severity;
    }
    for (const [, silenceButton] of this.controls) silenceButton.disabled = false;
    if (this.timer) return;
    this.tone(this.severity);
    this.timer = setInterval(() => this.tone(this.severity), HORN_REPEAT_MS);
  }

  // `reason` no longer wants the horn (acknowledged); it stops once nothing else does.
  release(reason) {
    this.reasons.delete(reason);
    if (!this.reasons.size && this.timer) this.silence();
  }

  silence() {
    clearInterval(this.timer);
    this.timer = null;
    this.severity = null;
    this.reasons.clear();
    for (const [, silenceButton] of this.controls) silenceButton.disabled = true;
    this.dispatchEvent(new Event("silence"));
  }
}

export const horn = new Horn();
