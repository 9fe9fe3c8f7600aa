/* Draws the plotly figures of the dashboard and the customer page.
 * Each chart is an element with data-kb-figure="<id of a JSON script element>"; a click on a
 * dot whose customdata is a customer id opens that customer (data-customer-url holds the URL
 * with data-placeholder standing in for the id). A figure without a template gets the page's
 * shared one (the script element #plotly-template), sent once instead of once per figure.
 * Safe to load twice: drawn charts are marked. */
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) { return; }
    var shared = document.getElementById("plotly-template");
    document.querySelectorAll("[data-kb-figure]:not([data-kb-drawn])").forEach(function (el) {
      var source = document.getElementById(el.dataset.kbFigure);
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      figure.layout = figure.layout || {};
      if (shared && !figure.layout.template) {
        figure.layout.template = JSON.parse(shared.textContent);  // a copy per figure
      }
      el.dataset.kbDrawn = "1";
      window.Plotly.newPlot(el, figure.data, figure.layout, {
        responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"]
      });
      var url = el.dataset.customerUrl;
      if (url) {
        el.on("plotly_click", function (event) {
          var point = event.points && event.points[0];
          if (point && point.customdata !== undefined) {
            window.location.href = url.replace(el.dataset.placeholder, String(point.customdata));
          }
        });
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
