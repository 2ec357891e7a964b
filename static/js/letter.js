// The member's letter: a live character count for personal blocks (the form works without it).
(function () {
  "use strict";
  document.querySelectorAll(".char-count").forEach(function (counter) {
    var area = document.getElementById(counter.getAttribute("data-for"));
    if (!area) { return; }
    var minimum = parseInt(area.getAttribute("data-min-length") || "0", 10);
    // The page gives the words in its language (data-so-far, data-enough); English if it does not.
    var soFar = counter.getAttribute("data-so-far") || "{length} of {minimum} characters so far.";
    var enough = counter.getAttribute("data-enough") || "{length} characters: enough.";
    var update = function () {
      var length = area.value.trim().length;
      var words = length < minimum ? soFar : enough;
      counter.textContent = words.replace("{length}", length).replace("{minimum}", minimum);
    };
    area.addEventListener("input", update);
    update();
  });
})();
