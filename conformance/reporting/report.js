/* registry-harness reports: filter table rows by outcome / differences. No network, no dependencies. */
(function () {
  "use strict";
  var table = document.getElementById("check-table");
  var buttons = document.querySelectorAll(".filters button[data-outcome]");
  if (table) {
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        var wanted = button.getAttribute("data-outcome");
        Array.prototype.forEach.call(buttons, function (other) {
          other.classList.toggle("active", other === button);
        });
        Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
          var show = wanted === "all" || row.getAttribute("data-outcome") === wanted;
          row.classList.toggle("hidden", !show);
        });
      });
    });
  }
  var only = document.getElementById("only-differences");
  var matrix = document.getElementById("matrix");
  if (only && matrix) {
    only.addEventListener("change", function () {
      Array.prototype.forEach.call(matrix.tBodies[0].rows, function (row) {
        row.classList.toggle("hidden", only.checked && !row.classList.contains("diff"));
      });
    });
  }
  document.documentElement.setAttribute("data-report-ready", "1");
})();
