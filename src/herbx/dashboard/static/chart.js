/* A small SVG line chart for rates between 0 and 1; written for herbx, no dependencies. */
(function (global) {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /**
   * Draw lines on an <svg> with a viewBox of width x height.
   * lines: [{points: [[x, y], ...], cls: "overall"}], y in [0, 1].
   * opts: {xMax: number, threshold: number|null, dots: boolean (a circle at each point)}
   */
  function drawRateChart(svg, lines, opts) {
    var vb = svg.viewBox.baseVal, W = vb.width || 640, H = vb.height || 240;
    var left = 40, right = 12, top = 10, bottom = 26;
    var w = W - left - right, h = H - top - bottom;
    var xMax = Math.max(1, opts.xMax || 1);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    function sx(x) { return left + (x / xMax) * w; }
    function sy(y) { return top + (1 - Math.max(0, Math.min(1, y))) * h; }
    [0, 0.25, 0.5, 0.75, 1].forEach(function (g) {
      svg.appendChild(el("line", { x1: left, x2: left + w, y1: sy(g), y2: sy(g), "class": "grid" }));
      svg.appendChild(el("text", { x: left - 6, y: sy(g) + 4, "text-anchor": "end", "class": "axis" },
        Math.round(g * 100) + "%"));
    });
    var ticks = 5;
    for (var i = 0; i <= ticks; i++) {
      var xv = Math.round((xMax * i) / ticks);
      svg.appendChild(el("text", { x: sx(xv), y: H - 8, "text-anchor": "middle", "class": "axis" }, String(xv)));
    }
    if (typeof opts.threshold === "number") {
      svg.appendChild(el("line", { x1: left, x2: left + w, y1: sy(opts.threshold), y2: sy(opts.threshold), "class": "threshold" }));
    }
    lines.forEach(function (line) {
      if (!line.points.length) return;
      var d = line.points.map(function (p, j) {
        return (j ? "L" : "M") + sx(p[0]).toFixed(1) + " " + sy(p[1]).toFixed(1);
      }).join(" ");
      svg.appendChild(el("path", { d: d, "class": line.cls }));
      if (opts.dots) {
        line.points.forEach(function (p) {
          svg.appendChild(el("circle", { cx: sx(p[0]).toFixed(1), cy: sy(p[1]).toFixed(1), r: 3, "class": line.cls + " dot" }));
        });
      }
    });
  }

  global.herbxChart = { drawRateChart: drawRateChart };
})(window);
