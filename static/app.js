// Small behaviours the dashboard needs beyond htmx: selecting rows for a bulk
// change, telling the merchant when an htmx request failed, the counter's
// live redraw, and the tokens page's Store field and copy button.
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

  // A form answered with its own errors (422: the stock panel with a message
  // beside the field) is swapped in like a success, not reported as a failure.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

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

  // The counter page listens for catalog changes (an online sale, another
  // staff member's change) and redraws its table in place through htmx.
  function liveCounter() {
    var status = document.getElementById("counter-live");
    if (!status || !window.EventSource || !window.htmx) return;
    var source = new EventSource(status.getAttribute("data-live-url"));
    var pending = null;
    source.addEventListener("open", function () { status.hidden = false; });
    source.addEventListener("error", function () { status.hidden = true; });
    source.addEventListener("catalog", function (event) {
      var version = JSON.parse(event.data).catalog_version;
      var badge = document.getElementById("catalog-version");
      if (badge) {
        badge.textContent = "v" + version;
        badge.setAttribute("data-version", version);
      }
      // Several changes in a burst need one redraw.
      if (pending) return;
      pending = setTimeout(function () {
        pending = null;
        htmx.ajax("GET", window.location.pathname + window.location.search,
          { target: status.getAttribute("data-live-target") || "#counter-list", swap: "outerHTML" });
      }, 150);
    });
  }

  // The tokens page: the Store field belongs to pos tokens only, so it shows
  // only while that scope is chosen (the server refuses a store otherwise).
  function storeForPosOnly() {
    var scope = document.getElementById("token-scope");
    if (!scope) return;
    var update = function () {
      document.querySelectorAll("[data-pos-only]").forEach(function (field) {
        field.hidden = scope.value !== "pos";
      });
    };
    scope.addEventListener("change", update);
    update();
  }

  // A copy button copies the text of the element its data-copy names (the
  // one-time token secret) and says whether that worked.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentElement.querySelector(".copy-status");
    var say = function (text) { if (status) status.textContent = text; };
    if (!source || !navigator.clipboard) {
      say("Select the secret and copy it by hand.");
      return;
    }
    navigator.clipboard.writeText(source.textContent.trim()).then(
      function () { say("Copied"); },
      function () { say("Select the secret and copy it by hand."); });
  });

  function start() {
    liveCounter();
    storeForPosOnly();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// ==== Counter (issue 14, point 6): a barcode scanner types wherever the
// focus is. A key typed while no field has the focus goes to the counter's
// search box, so the next scan works from the item view too. ====
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("counter-q");
    if (!box || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var typing = target && target.closest && target.closest("input, textarea, select, button, a, [contenteditable]");
    if (typing || event.key.length !== 1) return;
    box.value = "";
    box.focus();
  });
})();
// ==== End of the counter section. ====
