/* registry-harness load: MB/s up and down over time, drawn on a <canvas> without any library.
 *
 * window.ThroughputChart.render(root, data) draws `data` (the JSON of /throughput/data, or the copy
 * embedded in a report) into `root`: one chart with total up/down and a line per scenario and
 * direction, plus a table of per-scenario totals. It also writes data-* attributes on root
 * (data-points, data-max-up, data-max-down) so a headless browser can check that data arrived.
 */
(function () {
  "use strict";
  var COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

  function maxOf(values) {
    var m = 0;
    for (var i = 0; i < values.length; i++) { if (values[i] > m) { m = values[i]; } }
    return m;
  }

  function series(data) {
    var out = [
      { label: "total up", values: data.total.up, color: "#111111", dash: [] },
      { label: "total down", values: data.total.down, color: "#777777", dash: [6, 4] }
    ];
    var names = Object.keys(data.scenarios).sort();
    names.forEach(function (name, i) {
      var color = COLORS[i % COLORS.length];
      var s = data.scenarios[name];
      if (maxOf(s.up) > 0) { out.push({ label: name + " up", values: s.up, color: color, dash: [] }); }
      if (maxOf(s.down) > 0) { out.push({ label: name + " down", values: s.down, color: color, dash: [6, 4] }); }
    });
    return out;
  }

  function draw(canvas, data) {
    var ctx = canvas.getContext("2d");
    var w = canvas.width, h = canvas.height, left = 60, right = 210, top = 20, bottom = 40;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, w, h);
    var all = series(data), t = data.t, ymax = 1;
    all.forEach(function (s) { ymax = Math.max(ymax, maxOf(s.values)); });
    ymax *= 1.1;
    var tmax = Math.max(1, t.length ? t[t.length - 1] : 1);
    var px = function (x) { return left + (w - left - right) * x / tmax; };
    var py = function (y) { return h - bottom - (h - top - bottom) * y / ymax; };
    ctx.strokeStyle = "#cccccc"; ctx.fillStyle = "#333333"; ctx.font = "12px sans-serif"; ctx.lineWidth = 1;
    for (var g = 0; g <= 5; g++) {
      var yv = ymax * g / 5;
      ctx.beginPath(); ctx.moveTo(left, py(yv)); ctx.lineTo(w - right, py(yv)); ctx.stroke();
      ctx.fillText(yv.toFixed(yv < 10 ? 1 : 0), 5, py(yv) + 4);
    }
    ctx.fillText("MB/s", 5, 12);
    ctx.fillText("seconds", (w - right) / 2, h - 8);
    for (var x = 0; x <= 5; x++) {
      var xv = Math.round(tmax * x / 5);
      ctx.fillText(String(xv), px(xv) - 4, h - bottom + 16);
    }
    all.forEach(function (s, i) {
      ctx.strokeStyle = s.color; ctx.lineWidth = 2; ctx.setLineDash(s.dash);
      ctx.beginPath();
      for (var k = 0; k < t.length; k++) {
        if (k === 0) { ctx.moveTo(px(t[k]), py(s.values[k])); } else { ctx.lineTo(px(t[k]), py(s.values[k])); }
      }
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = s.color;
      ctx.fillRect(w - right + 10, top + i * 18, 14, 4);
      ctx.fillText(s.label, w - right + 30, top + i * 18 + 6);
    });
  }

  function table(data) {
    var rows = ["<tr><th>scenario</th><th>MB up</th><th>MB down</th><th>peak MB/s up</th><th>peak MB/s down</th></tr>"];
    Object.keys(data.scenarios).sort().forEach(function (name) {
      var s = data.scenarios[name], up = 0, down = 0;
      s.up.forEach(function (v) { up += v; });
      s.down.forEach(function (v) { down += v; });
      rows.push("<tr><td>" + name + "</td><td>" + up.toFixed(1) + "</td><td>" + down.toFixed(1) + "</td><td>" +
        maxOf(s.up).toFixed(1) + "</td><td>" + maxOf(s.down).toFixed(1) + "</td></tr>");
    });
    return "<table class=\"tp-table\">" + rows.join("") + "</table>";
  }

  function render(root, data) {
    var canvas = root.querySelector("canvas");
    if (!canvas) {
      canvas = document.createElement("canvas");
      canvas.width = 1000; canvas.height = 360;
      root.appendChild(canvas);
    }
    var holder = root.querySelector(".tp-summary");
    if (!holder) { holder = document.createElement("div"); holder.className = "tp-summary"; root.appendChild(holder); }
    draw(canvas, data);
    holder.innerHTML = table(data);
    root.setAttribute("data-points", String(data.t.length));
    root.setAttribute("data-max-up", maxOf(data.total.up).toFixed(3));
    root.setAttribute("data-max-down", maxOf(data.total.down).toFixed(3));
  }

  window.ThroughputChart = { render: render };
})();
