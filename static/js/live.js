// The console's WebSocket: connect, reconnect with backoff, and say STALE while down.
//
// The server sends a full snapshot on every (re)connect, so nothing is replayed here:
// whatever was missed while disconnected is made good by that snapshot.

const MAX_DELAY_MS = 30000;
const RESYNC_AFTER_HIDDEN_MS = 60000;

export function readConfig() {
  const node = document.getElementById("console-config");
  return node ? JSON.parse(node.textContent) : {};
}

export function connectLive({ path, loginUrl, onMessage }) {
  const banner = document.getElementById("stale-banner");
  const bannerText = banner ? banner.querySelector(".stale-text") : null;
  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let countdownTimer = null;
  let lostAt = null;
  let hiddenAt = null;

  function setStatus(status) {
    // Tests and styles read this; the banner is what operators see.
    document.body.dataset.live = status;
    const stale = status !== "live";
    document.body.classList.toggle("is-stale", stale && lostAt !== null);
    if (banner) banner.hidden = !(stale && lostAt !== null);
  }

  function describe(retryAt) {
    if (!bannerText) return;
    const since = lostAt ? lostAt.toLocaleTimeString() : "";
    const wait = Math.max(0, Math.round((retryAt - Date.now()) / 1000));
    bannerText.textContent =
      `connection to the server lost at ${since}; what you see may be out of date. ` +
      (wait > 0 ? `Reconnecting in ${wait} s…` : "Reconnecting…");
  }

  function scheduleRetry() {
    const base = Math.min(MAX_DELAY_MS, 1000 * 2 ** attempt);
    const delay = base * (0.75 + Math.random() * 0.5); // jitter: not every wall at once
    attempt += 1;
    const retryAt = Date.now() + delay;
    describe(retryAt);
    clearInterval(countdownTimer);
    countdownTimer = setInterval(() => describe(retryAt), 1000);
    retryTimer = setTimeout(open, delay);
  }

  function open() {
    clearTimeout(retryTimer);
    clearInterval(countdownTimer);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}${path}`);
    setStatus("connecting");
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "fleet.snapshot") {
        attempt = 0;
        lostAt = null;
        setStatus("live");
      }
      onMessage(message);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401) {
        // Logged out (or the session expired): the login page, then back here.
        const next = encodeURIComponent(location.pathname + location.search);
        location.assign(`${loginUrl}?next=${next}`);
        return;
      }
      if (lostAt === null) lostAt = new Date();
      setStatus("stale");
      scheduleRetry();
    });
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      hiddenAt = Date.now();
    } else if (hiddenAt && Date.now() - hiddenAt > RESYNC_AFTER_HIDDEN_MS) {
      requestSnapshot();
    }
  });

  function requestSnapshot() {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "snapshot" }));
    }
  }

  open();
  return { requestSnapshot };
}
