/* Trend charts of the UPS page: fetch the readings API, draw one Plotly chart per entry
   of `charts`, with the normal band, alarm limits and alarm episodes as shapes.
   y-ranges come from the server (fixed per measure) and are never auto-scaled here. */
(function () {
  "use strict";

  var section = document.getElementById("trends-section");
  if (!section || !window.Plotly) { return; }

  var readingsUrl = section.dataset.readingsUrl;
  var csvUrl = section.dataset.csvUrl;
  var statusEl = section.querySelector(".trend-status");
  var csvLink = section.querySelector(".csv-link");
  var form = section.querySelector(".trend-range");
  var buttons = section.querySelectorAll("[data-range]");
  var current = { range: "24h" };
  var refreshTimer = null;
  var drawing = false;
  // Phase lines differ by dash as well as colour.
  var DASHES = ["solid", "dash", "dot"];

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function query(params) {
    return Object.keys(params).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
    }).join("&");
  }

  function setStatus(text, error) {
    statusEl.textContent = text;
    if (error) { statusEl.setAttribute("data-error", ""); } else { statusEl.removeAttribute("data-error"); }
  }

  function traces(chart, t, colours) {
    var out = [];
    chart.series.forEach(function (s, i) {
      var colour = colours[i % colours.length];
      // min..max envelope: the max trace fills down to the min trace drawn just before.
      out.push({ x: t, y: s.min, mode: "lines", line: { width: 0 }, hoverinfo: "skip",
        showlegend: false, connectgaps: false, type: "scatter" });
      out.push({ x: t, y: s.max, mode: "lines", line: { width: 0 }, fill: "tonexty",
        fillcolor: colour + "33", hoverinfo: "skip", showlegend: false, connectgaps: false,
        type: "scatter" });
      out.push({ x: t, y: s.avg, mode: "lines", name: s.label, connectgaps: false, type: "scatter",
        line: { color: colour, width: 1.6, dash: DASHES[i % DASHES.length] },
        hovertemplate: "%{x|%Y-%m-%d %H:%M:%S} UTC<br>" + s.label + ": %{y} " + chart.unit + "<extra></extra>" });
    });
    return out;
  }

  function shapes(chart, data) {
    var out = [];
    var text = css("--text") || "#1b1b1b";
    if (chart.band) {
      out.push({ type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: chart.band[0], y1: chart.band[1],
        fillcolor: css("--trend-band"), line: { width: 0 }, layer: "below" });
    }
    chart.limits.forEach(function (limit) {
      var critical = limit.severity === "critical";
      out.push({ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: limit.value, y1: limit.value,
        line: { color: css(critical ? "--trend-crit" : "--trend-warn"), width: 1.5, dash: critical ? "dot" : "dash" },
        label: { text: limit.label + " " + limit.value + " " + chart.unit, textposition: "end",
          font: { size: 10, color: text } } });
    });
    var rangeStart = Date.parse(data.range.start), rangeEnd = Date.parse(data.range.end);
    var span = rangeEnd - rangeStart;
    data.alarms.forEach(function (a) {
      var critical = a.severity === "critical";
      var start = Math.max(Date.parse(a.start), rangeStart);
      var end = a.end ? Date.parse(a.end) : rangeEnd;
      // At least one bucket wide: a 10-minute episode must stay visible on a 1-year chart.
      end = Math.max(end, start + data.bucket_s * 1000);
      var shape = { type: "rect", xref: "x", yref: "paper", y0: 0, y1: 1,
        x0: new Date(start).toISOString(), x1: new Date(end).toISOString(),
        fillcolor: css(critical ? "--trend-episode-crit" : "--trend-episode-warn"), line: { width: 0 }, layer: "below" };
      // Words only where there is room for them; narrow spans keep colour and hover-free shading.
      if (end - start > span * 0.04) {
        shape.label = { text: (critical ? "ALARM " : "WARN ") + a.label, textposition: "top left",
          font: { size: 9, color: text } };
      }
      out.push(shape);
    });
    return out;
  }

  function draw(data) {
    var colours = [css("--trend-1"), css("--trend-2"), css("--trend-3")].map(function (c) {
      return c && c.charAt(0) === "#" && c.length === 7 ? c : "#1f4e9e";
    });
    var text = css("--text") || "#1b1b1b";
    var grid = css("--line") || "#b8b8b8";
    drawing = true;
    data.charts.forEach(function (chart) {
      var figure = section.querySelector('[data-chart="' + chart.key + '"]');
      if (!figure) { return; }
      var plot = figure.querySelector(".plot");
      figure.querySelector(".no-data").hidden = chart.series.length > 0;
      var layout = {
        margin: { l: 48, r: 12, t: 8, b: 32 },
        paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
        font: { color: text, size: 11 },
        showlegend: chart.series.length > 1,
        legend: { orientation: "h", y: 1.12, x: 0 },
        xaxis: { type: "date", range: [data.range.start, data.range.end], gridcolor: grid, title: { text: "" } },
        yaxis: { range: chart.y_range, fixedrange: true, gridcolor: grid, ticksuffix: " " },
        shapes: shapes(chart, data),
        hovermode: "x unified"
      };
      window.Plotly.react(plot, traces(chart, data.t, colours), layout,
        { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"] });
      if (!plot.dataset.bound) {
        plot.dataset.bound = "1";
        plot.on("plotly_relayout", onZoom);
      }
    });
    drawing = false;
  }

  function onZoom(event) {
    if (drawing) { return; }
    if (event["xaxis.autorange"]) { load({ range: current.range || "24h" }); return; }
    var start = event["xaxis.range[0]"], end = event["xaxis.range[1]"];
    if (start && end) {
      load({ start: new Date(start.replace(" ", "T") + "Z").toISOString(),
             end: new Date(end.replace(" ", "T") + "Z").toISOString(), zoom: true });
    }
  }

  function load(params) {
    var zoom = params.zoom;
    var named = params.range ? { range: params.range } : { start: params.start, end: params.end };
    if (!zoom) { current = named; }
    buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.range === named.range)); });
    csvLink.href = csvUrl + "?" + query(named);
    setStatus("Loading charts…");
    fetch(readingsUrl + "?" + query(named), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.error || ("HTTP " + response.status)); }
          return body;
        });
      })
      .then(function (data) {
        draw(data);
        var episodes = data.alarms.length ? ", " + data.alarms.length + " alarm episode(s)" : "";
        setStatus(data.range.start.slice(0, 16).replace("T", " ") + " to " + data.range.end.slice(0, 16).replace("T", " ") +
          " UTC: " + data.points + " points of " + data.bucket_s + " s (" + data.source + ")" + episodes + ".");
      })
      .catch(function (err) { setStatus("Charts could not be loaded: " + err.message, true); });
    // Short named ranges follow the present; custom and zoomed ones stay put.
    clearInterval(refreshTimer);
    if (named.range === "1h" || named.range === "24h") {
      refreshTimer = setInterval(function () { load(current); }, 60000);
    }
  }

  buttons.forEach(function (b) {
    b.addEventListener("click", function () { load({ range: b.dataset.range }); });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var start = form.elements.start.value, end = form.elements.end.value;
    if (!start) { setStatus("Choose a start time for a custom range.", true); return; }
    load({ start: start + ":00Z", end: end ? end + ":00Z" : new Date().toISOString() });
  });

  var pressed = section.querySelector('[data-range][aria-pressed="true"]');
  load({ range: pressed ? pressed.dataset.range : "24h" });
}());
