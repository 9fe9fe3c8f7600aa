/* Draws the plotly figures of the dashboard, the effect report and the customer page.
 * Each chart is an element with data-kb-figure="<id of a JSON script element>"; a click on a
 * dot whose customdata is a customer id opens that customer (data-customer-url holds the URL
 * with data-placeholder standing in for the id). A figure without a template gets the page's
 * shared one (the script element #plotly-template), sent once instead of once per figure.
 *
 * A chart draws when it comes near the window (IntersectionObserver): the charts below the fold
 * cost nothing until the reader scrolls to them. Until then each keeps its figure's height, so
 * the page does not jump when it draws.
 *
 * On a narrow chart (a phone) the category labels on the axes are shortened (the hover keeps the
 * whole name), and a heatmap keeps a readable width per column: its frame scrolls sideways.
 * Safe to load twice: charts waiting or drawn are marked. */
(function () {
  "use strict";
  var NARROW = 576; // px: below this a chart is laid out for a phone (Bootstrap's sm)
  var LABEL = 14; // characters of a category label on a narrow chart
  var HEATMAP_COLUMN = 26; // px per heatmap column on a narrow chart
  var HEATMAP_ASIDE = 170; // px beside the columns: shortened row labels and the colour bar

  // Plotly text arrives HTML-escaped (&lt; &amp; ...): an entity counts as one character.
  function shorten(text) {
    var parts = String(text).match(/&#?\w+;|[\s\S]/g) || [];
    if (parts.length <= LABEL) { return text; }
    return parts.slice(0, LABEL - 1).join("").replace(/\s+$/, "") + "…";
  }

  function axisKey(trace, letter) {
    var id = trace[letter + "axis"] || letter; // "x", "x2", ...
    return letter + "axis" + id.slice(1);
  }

  function categories(values) {
    if (!Array.isArray(values)) { return null; } // numbers travel as typed arrays
    for (var i = 0; i < values.length; i++) {
      if (values[i] !== null && values[i] !== undefined) {
        return typeof values[i] === "string" ? values : null;
      }
    }
    return null;
  }

  function compact(el, figure) {
    var layout = figure.layout;
    var labels = {};
    figure.data.forEach(function (trace) {
      ["x", "y"].forEach(function (letter) {
        var names = categories(trace[letter]);
        if (!names) { return; }
        var key = axisKey(trace, letter);
        labels[key] = labels[key] || [];
        names.forEach(function (name) {
          if (labels[key].indexOf(name) < 0) { labels[key].push(name); }
        });
      });
      if (trace.type === "heatmap" && Array.isArray(trace.x)) {
        var wide = trace.x.length * HEATMAP_COLUMN + HEATMAP_ASIDE;
        if (wide > el.clientWidth) {
          el.style.width = wide + "px";
          var frame = el.parentElement;
          if (frame && frame.classList.contains("kb-chart-frame")) {
            frame.tabIndex = 0; // a region that scrolls is reachable by keyboard
            frame.setAttribute("role", "region");
            frame.setAttribute("aria-label", el.getAttribute("aria-label") || "");
          }
        }
      }
    });
    Object.keys(labels).forEach(function (key) {
      var names = labels[key];
      if (!names.some(function (name) { return shorten(name) !== name; })) { return; }
      var axis = layout[key] = layout[key] || {};
      axis.tickmode = "array";
      axis.tickvals = names;
      axis.ticktext = names.map(shorten);
    });
  }

  function draw(el) {
    var figure = el.kbFigure; // parsed by start(), kept until drawn
    delete el.kbFigure;
    if (!figure || !window.Plotly) { return; }
    figure.layout = figure.layout || {};
    var shared = document.getElementById("plotly-template");
    if (shared && !figure.layout.template) {
      figure.layout.template = JSON.parse(shared.textContent); // a copy per figure
    }
    if (el.clientWidth < NARROW) { compact(el, figure); }
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
  }

  function start() {
    if (!window.Plotly) { return; }
    var observer = null;
    if ("IntersectionObserver" in window) {
      observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            observer.unobserve(entry.target);
            draw(entry.target);
          }
        });
      }, { rootMargin: "200px 0px" });
    }
    document.querySelectorAll("[data-kb-figure]:not([data-kb-waiting])").forEach(function (el) {
      var source = document.getElementById(el.dataset.kbFigure);
      if (!source) { return; }
      el.dataset.kbWaiting = "1";
      var figure = JSON.parse(source.textContent);
      el.kbFigure = figure;
      if (figure.layout && figure.layout.height) {
        el.style.minHeight = figure.layout.height + "px"; // its place, before it draws
      }
      if (observer) { observer.observe(el); } else { draw(el); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
