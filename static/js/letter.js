// The member's letter: a live character count for personal blocks (the form works without it).
(function () {
  "use strict";
  document.querySelectorAll(".char-count").forEach(function (counter) {
    var area = document.getElementById(counter.getAttribute("data-for"));
    if (!area) { return; }
    var minimum = parseInt(area.getAttribute("data-min-length") || "0", 10);
    var update = function () {
      var length = area.value.trim().length;
      counter.textContent = length < minimum
        ? length + " of " + minimum + " characters so far."
        : length + " characters: enough.";
    };
    area.addEventListener("input", update);
    update();
  });
})();
