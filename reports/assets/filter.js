// Case filter of the rcs-interop HTML report: text and verdict checkboxes hide rows and sections.
(function () {
  "use strict";
  var text = document.getElementById("filter-text");
  var boxes = document.querySelectorAll("input[data-verdict-filter]");
  var shown = document.getElementById("filter-shown");
  if (!text || !shown) { return; }
  function apply() {
    var query = text.value.trim().toLowerCase();
    var on = {};
    boxes.forEach(function (box) { on[box.value] = box.checked; });
    var rows = 0, visible = 0;
    document.querySelectorAll("[data-verdict][data-search]").forEach(function (el) {
      var show = on[el.dataset.verdict] !== false && el.dataset.search.indexOf(query) !== -1;
      el.hidden = !show;
      if (el.tagName === "TR") { rows += 1; if (show) { visible += 1; } }
    });
    shown.textContent = visible === rows ? rows + " shown" : visible + " of " + rows + " shown";
  }
  text.addEventListener("input", apply);
  boxes.forEach(function (box) { box.addEventListener("change", apply); });
  apply();
})();
