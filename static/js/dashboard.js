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

// After live updates under a state filter: only the sections of the tiles that changed
// can have been emptied or filled, and the "n of N shown" count.
function refreshSections(changedTiles) {
  const sites = new Set();
  for (const li of changedTiles) {
    const site = li.closest("section.site");
    if (site) sites.add(site);
  }
  const regions = new Set();
  for (const section of sites) {
    section.hidden = !section.querySelector("li.tile:not([hidden])");
    const region = section.closest("section.region");
    if (region) regions.add(region);
  }
  for (const section of regions) {
    section.hidden = !section.querySelector("section.site:not([hidden])");
  }
  let shown = 0;
  for (const li of tiles.values()) if (!li.hidden) shown += 1;
  filterCount.textContent = `${shown} of ${tiles.size} shown`;
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

// Problems are few in normal times, but during an incident hundreds of UPSs may be listed
// while 100 change per second: a full redraw (filter, view switch, alarm markers) sorts
// and copies them all; a live update only moves the copies of the UPSs that changed
// (`updateProblems`), so a frame costs the changes, not the length of the list.
// Worst first, then longest in that state.
const problemIds = []; // ups ids in display order
const problemCopies = new Map(); // ups_id -> li in the problem list

function worseFirst(a, b) {
  const rank = Number(b.dataset.rank) - Number(a.dataset.rank);
  if (rank) return rank;
  return (a.dataset.since || "").localeCompare(b.dataset.since || "") || a.dataset.name.localeCompare(b.dataset.name);
}

function isProblem(li) {
  return li.dataset.state !== "ok" && matches(li);
}

function problemCopy(li) {
  const copy = li.cloneNode(true);
  copy.hidden = false;
  const site = copy.querySelector(".reason");
  if (site) site.before(Object.assign(document.createElement("span"), { className: "where", textContent: siteLabel(li) }));
  return copy;
}

function drawProblems() {
  const rows = [];
  for (const li of tiles.values()) {
    if (isProblem(li)) rows.push(li);
  }
  rows.sort(worseFirst);
  problemIds.length = 0;
  problemCopies.clear();
  const copies = rows.map((li) => {
    const copy = problemCopy(li);
    const id = Number(li.dataset.ups);
    problemIds.push(id);
    problemCopies.set(id, copy);
    return copy;
  });
  problemList.replaceChildren(...copies);
  problems.querySelector(".none-message").hidden = rows.length > 0;
}

function updateProblems(changedTiles) {
  // Take every changed UPS out first: the binary search needs the rest in order.
  const gone = new Set();
  for (const li of changedTiles) {
    const id = Number(li.dataset.ups);
    const old = problemCopies.get(id);
    if (old) {
      gone.add(id);
      problemCopies.delete(id);
      old.remove();
    }
  }
  if (gone.size) {
    const kept = problemIds.filter((id) => !gone.has(id));
    problemIds.length = 0;
    problemIds.push(...kept);
  }
  for (const li of changedTiles) {
    if (!isProblem(li)) continue;
    const id = Number(li.dataset.ups);
    // Binary search for its place among the others (their order has not changed).
    let lo = 0;
    let hi = problemIds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (worseFirst(tiles.get(problemIds[mid]), li) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const copy = problemCopy(li);
    const next = lo < problemIds.length ? problemCopies.get(problemIds[lo]) : null;
    problemIds.splice(lo, 0, id);
    problemCopies.set(id, copy);
    problemList.insertBefore(copy, next);
  }
  const none = problems.querySelector(".none-message");
  if (none.hidden !== problemIds.length > 0) none.hidden = problemIds.length > 0;
}

function siteLabel(li) {
  const section = li.closest("section.site");
  const heading = section && section.querySelector("h3");
  return heading ? heading.firstChild.textContent.trim() : "";
}

// --- live updates ------------------------------------------------------------------------

// Counts per state, kept up to date with each change rather than recounted over the
// whole fleet every frame.
const counts = {};
for (const state of Object.keys(config.states)) counts[state] = 0;
for (const li of tiles.values()) counts[li.dataset.state] = (counts[li.dataset.state] || 0) + 1;
const countNodes = [...document.querySelectorAll("[data-count]")];

function showCounts() {
  for (const node of countNodes) {
    const key = node.dataset.count;
    const text = String(key === "total" ? tiles.size : counts[key] || 0);
    if (node.textContent !== text) node.textContent = text;
  }
}

store.onChange((changed) => {
  const changedTiles = [];
  for (const p of changed) {
    const li = tiles.get(p.ups_id);
    if (!li) continue; // a UPS added since the page loaded: shown after a reload
    const previous = li.dataset.state;
    renderTile(li, p, config.columns);
    if (previous !== p.state) {
      counts[previous] -= 1;
      counts[p.state] = (counts[p.state] || 0) + 1;
    }
    const since = p.since || "";
    if (li.dataset.since !== since) li.dataset.since = since;
    const visible = matches(li);
    if (li.hidden === visible) li.hidden = !visible;
    changedTiles.push(li);
  }
  showCounts();
  if (filter.state) refreshSections(changedTiles);
  if (!problems.hidden) updateProblems(changedTiles);
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
