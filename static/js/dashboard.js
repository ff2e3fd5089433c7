// The live dashboard: tiles by region and site, counts, filters, "only problems".

import { AlarmPanel } from "./alarms.js";
import { connectLive, readConfig } from "./live.js";
import { TileStore, renderTile, tickAges } from "./tiles.js";

const config = readConfig();
const root = document.getElementById("console");
const groups = document.getElementById("fleet-groups");
const problems = document.getElementById("problems");
const problemList = problems.querySelector(".problem-list");
const filterForm = document.getElementById("filters");
const filterCount = document.getElementById("filter-count");
const store = new TileStore(config.columns);

const tiles = new Map(); // ups_id -> li in the grouped view
for (const li of groups.querySelectorAll("li.tile[data-ups]")) tiles.set(Number(li.dataset.ups), li);
let unackedUps = new Set();

// --- filters --------------------------------------------------------------------------

function currentFilter() {
  const data = new FormData(filterForm);
  return {
    name: String(data.get("name") || "").trim().toLowerCase(),
    site: String(data.get("site") || ""),
    region: String(data.get("region") || ""),
    state: String(data.get("state") || ""),
  };
}
let filter = currentFilter();

function matches(li) {
  const d = li.dataset;
  return (
    (!filter.name || d.name.includes(filter.name)) &&
    (!filter.site || d.site === filter.site) &&
    (!filter.region || d.region === filter.region) &&
    (!filter.state || d.state === filter.state)
  );
}

function applyFilter() {
  let shown = 0;
  for (const li of tiles.values()) {
    const visible = matches(li);
    if (li.hidden === visible) li.hidden = !visible;
    if (visible) shown += 1;
  }
  // Hide sites and regions left empty by the filter, never those empty in the inventory.
  const active = filter.name || filter.site || filter.region || filter.state;
  for (const section of groups.querySelectorAll("section.site")) {
    const any = section.querySelector("li.tile:not([hidden])");
    section.hidden = Boolean(active) && !any;
  }
  for (const section of groups.querySelectorAll("section.region")) {
    section.hidden = !section.querySelector("section.site:not([hidden])");
  }
  filterCount.textContent = active ? `${shown} of ${tiles.size} shown` : "";
  for (const button of document.querySelectorAll(".count-filter")) {
    button.setAttribute("aria-pressed", String(button.dataset.state === filter.state));
  }
  if (!problems.hidden) drawProblems();
}

filterForm.addEventListener("submit", (event) => event.preventDefault());
filterForm.addEventListener("input", () => {
  filter = currentFilter();
  applyFilter();
});

for (const button of document.querySelectorAll(".count-filter")) {
  button.addEventListener("click", () => {
    const select = filterForm.elements.state;
    select.value = select.value === button.dataset.state ? "" : button.dataset.state;
    filter = currentFilter();
    applyFilter();
  });
}

// --- views: all / only problems ----------------------------------------------------------

function setView(view) {
  root.dataset.view = view;
  problems.hidden = view !== "problems";
  groups.hidden = view === "problems";
  for (const a of document.querySelectorAll(".views a")) {
    if (a.dataset.view === view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (view === "problems") drawProblems();
}

for (const a of document.querySelectorAll(".views a")) {
  a.addEventListener("click", (event) => {
    event.preventDefault();
    history.replaceState(null, "", `?view=${a.dataset.view}`);
    setView(a.dataset.view);
  });
}

// Problems are few in normal times; during an incident they are redrawn at most once
// per frame, sorted worst first, then longest in that state.
function drawProblems() {
  const rows = [];
  for (const li of tiles.values()) {
    if (li.dataset.state !== "ok" && matches(li)) rows.push(li);
  }
  rows.sort((a, b) => {
    const rank = Number(b.dataset.rank) - Number(a.dataset.rank);
    if (rank) return rank;
    return (a.dataset.since || "").localeCompare(b.dataset.since || "") || a.dataset.name.localeCompare(b.dataset.name);
  });
  problemList.replaceChildren(
    ...rows.map((li) => {
      const copy = li.cloneNode(true);
      copy.hidden = false;
      const site = copy.querySelector(".reason");
      if (site) site.before(Object.assign(document.createElement("span"), { className: "where", textContent: siteLabel(li) }));
      return copy;
    }),
  );
  problems.querySelector(".none-message").hidden = rows.length > 0;
}

function siteLabel(li) {
  const section = li.closest("section.site");
  const heading = section && section.querySelector("h3");
  return heading ? heading.firstChild.textContent.trim() : "";
}

// --- live updates ------------------------------------------------------------------------

function recount() {
  const counts = {};
  for (const state of Object.keys(config.states)) counts[state] = 0;
  for (const li of tiles.values()) counts[li.dataset.state] = (counts[li.dataset.state] || 0) + 1;
  for (const node of document.querySelectorAll("[data-count]")) {
    const key = node.dataset.count;
    const text = String(key === "total" ? tiles.size : counts[key] || 0);
    if (node.textContent !== text) node.textContent = text;
  }
}

store.onChange((changed) => {
  for (const p of changed) {
    const li = tiles.get(p.ups_id);
    if (!li) continue; // a UPS added since the page loaded: shown after a reload
    renderTile(li, p, config.columns);
    li.dataset.since = p.since || "";
    const visible = matches(li);
    if (li.hidden === visible) li.hidden = !visible;
  }
  recount();
  if (!problems.hidden) drawProblems();
  if (filter.state) applyFilter();
});

function markUnacked(ups) {
  unackedUps = ups;
  for (const [id, li] of tiles) {
    const marker = li.querySelector(".new-marker");
    const show = unackedUps.has(id);
    if (marker && marker.hidden === show) marker.hidden = !show;
  }
  if (!problems.hidden) drawProblems();
}

const panel = new AlarmPanel(config, markUnacked);

const live = connectLive({
  path: "/ws/fleet/",
  loginUrl: config.loginUrl,
  onMessage(message) {
    switch (message.type) {
      case "fleet.snapshot":
        store.putAll(message.upses || []);
        panel.snapshot(message);
        break;
      case "ups.state":
        store.put(message);
        break;
      case "alarms.ups":
        panel.upsAlarms(message);
        break;
      default:
        break;
    }
  },
});

// The flood count only moves with new alarms; while flooded, ask for a fresh picture now
// and then so the banner goes when the window has passed.
setInterval(() => {
  const banner = document.getElementById("flood-banner");
  if (banner && !banner.hidden) live.requestSnapshot();
}, 120000);
setInterval(() => tickAges(root), 10000);
applyFilter();
setView(root.dataset.view || "all");
