// Small behaviours the dashboard needs beyond htmx: selecting rows for a bulk
// change, and telling the merchant when an htmx request failed.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-page]")) {
      document.querySelectorAll('input[name="ids"][form="bulk"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });

  function showFlash(tone, text) {
    var area = document.getElementById("flash");
    if (!area) return;
    var p = document.createElement("p");
    p.className = "notice " + tone;
    p.textContent = text;
    area.replaceChildren(p);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var text = status === 404 ? "That item no longer exists." :
      status === 403 ? "This page has expired. Reload it and try again." :
      "That did not work (" + status + "). Please try again.";
    showFlash("error", text);
  });

  document.addEventListener("htmx:sendError", function () {
    showFlash("error", "shelfsync could not be reached. Check the connection and try again.");
  });
})();
