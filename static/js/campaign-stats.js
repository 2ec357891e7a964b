// The lead's campaign page: refresh the counts every 15 seconds (the page is complete without it).
(function () {
  "use strict";
  var box = document.getElementById("campaign-stats");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-stats-url");
  var refresh = function () {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (stats) {
        if (!stats) { return; }
        box.querySelectorAll("[data-stat]").forEach(function (el) {
          var value = stats[el.getAttribute("data-stat")];
          if (value !== undefined) { el.textContent = String(value); }
        });
      })
      .catch(function () { /* keep the last counts */ });
  };
  window.setInterval(refresh, 15000);
})();
