// Draws the charts of a dashboard page: the specifications are embedded in the page as JSON
// (#figures) by the site builder; plotly.js is the copy beside the pages (no CDN, no server).
(function () {
  "use strict";
  var started = performance.now();
  var figures = JSON.parse(document.getElementById("figures").textContent);
  var base = {
    autosize: true,
    height: 380,
    margin: { l: 70, r: 20, t: 30, b: 60 },
    font: { family: "system-ui, sans-serif", size: 12 },
    legend: { font: { size: 11 } },
    hovermode: "closest",
  };
  var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] };
  var figureMs = [];
  var drawn = figures.map(function (f) {
    var layout = Object.assign({}, base, f.layout);
    var t = performance.now();
    var p = Plotly.newPlot(f.id, f.data, layout, config);
    figureMs.push(performance.now() - t);
    return p;
  });
  Promise.all(drawn).then(
    function () {
      // Read by the tests and the render benchmark.
      window.__dashboard = { rendered: true, figures: figures.length, figureMs: figureMs, renderMs: performance.now() - started, sinceNavigationMs: performance.now() };
      document.body.dataset.rendered = "true";
    },
    function (e) {
      window.__dashboard = { rendered: false, error: String(e) };
      console.error("dashboard: a chart failed to draw: " + e);
    },
  );
})();
