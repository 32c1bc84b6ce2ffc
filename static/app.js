// Small behaviours the dashboard needs beyond htmx: selecting rows for a bulk
// change, telling the merchant when an htmx request failed, the counter's
// and the item list's live redraws, focus after a row swap, the toast's close
// button, and the tokens page's Store field and copy button.
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
    var toast = document.createElement("div");
    toast.className = "toast " + tone;
    var p = document.createElement("p");
    p.className = "notice " + tone;
    p.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("data-dismiss-toast", "");
    close.setAttribute("aria-label", "Dismiss this message");
    close.textContent = "\u00d7";
    toast.append(p, close);
    area.replaceChildren(toast);
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

  // The toast's close button.
  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-dismiss-toast]");
    if (close) close.closest(".toast").remove();
  });

  // After a row is swapped, keyboard focus goes back to the control that was
  // pressed (the same segment or switch of the redrawn row), not the page body.
  var pressed = null;
  document.addEventListener("click", function (event) {
    var control = event.target.closest("tr.item-row [data-control], .toast [data-undo-item]");
    // Only a press that posts: the current segment and refused choices don't.
    if (!control || control.disabled ||
        (!control.name && !control.hasAttribute("data-undo-item"))) return;
    pressed = control.hasAttribute("data-undo-item") ?
      { row: "item-" + control.getAttribute("data-undo-item"), control: null } :
      { row: control.closest("tr.item-row").id, control: control.getAttribute("data-control") };
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!pressed) return;
    var row = document.getElementById(pressed.row);
    var want = pressed;
    pressed = null;
    if (!row) return;
    var control = want.control &&
      row.querySelector('[data-control="' + want.control + '"]:not([disabled])');
    control = control || row.querySelector('.segment[aria-pressed="true"]') ||
      row.querySelector("a");
    if (control) control.focus();
  });

  // The item list hears of catalog changes (another staff member, an online
  // sale) and redraws only the rows whose version moved, with a brief
  // highlight; rows never come or go under the merchant's finger.
  function liveItems() {
    var status = document.getElementById("items-live");
    if (!status || !window.EventSource || !window.htmx || !window.DOMParser) return;
    var source = new EventSource(status.getAttribute("data-live-url"));
    var pending = null;
    source.addEventListener("open", function () { status.hidden = false; });
    source.addEventListener("error", function () { status.hidden = true; });
    source.addEventListener("catalog", function () {
      if (pending) return;
      pending = setTimeout(function () {
        pending = null;
        refreshRows();
      }, 150);
    });
  }

  function refreshRows() {
    fetch(window.location.pathname + window.location.search, {
      headers: { "HX-Request": "true", "HX-Target": "item-table" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (!html) return;
      var fresh = new DOMParser().parseFromString(html, "text/html");
      fresh.querySelectorAll("tr.item-row").forEach(function (next) {
        var shown = document.getElementById(next.id);
        if (!shown || shown.getAttribute("data-version") === next.getAttribute("data-version")) return;
        if (shown.querySelector(".htmx-request") || shown.classList.contains("htmx-request")) return;
        var focused = shown.contains(document.activeElement) ?
          document.activeElement.getAttribute("data-control") : null;
        var box = shown.querySelector('input[name="ids"]');
        var ticked = box && box.checked;
        var row = document.importNode(next, true);
        row.classList.add("changed-live");
        row.addEventListener("animationend", function () { row.classList.remove("changed-live"); });
        shown.replaceWith(row);
        htmx.process(row);
        var newBox = row.querySelector('input[name="ids"]');
        if (newBox && ticked) newBox.checked = true;
        if (focused) {
          var control = row.querySelector('[data-control="' + focused + '"]');
          if (control) control.focus();
        }
      });
    }).catch(function () { /* the next change tries again */ });
  }

  function start() {
    liveCounter();
    liveItems();
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

// ==== The bulk editor (issue 17): a spreadsheet feel on a plain form.
// Without this script the grid still posts as it is; with it, Enter moves
// down a column, pasting several lines fills the cells below, changed cells
// are highlighted with a count of changed items, and *Apply to column* sets
// every row at once (for a price, also +/- a percentage). ====
(function () {
  "use strict";

  function grid() { return document.getElementById("bulk-edit"); }

  function cellValue(control) {
    if (control.type === "checkbox") return control.checked ? "1" : "";
    return control.value;
  }

  function setCell(control, value) {
    if (control.type === "checkbox") {
      control.checked = value === "1" || value === "yes" || value === "true";
    } else {
      control.value = value;
    }
  }

  function controlOf(td) {
    return td && td.querySelector("input[name^='cell-'], select[name^='cell-']");
  }

  function markChanges() {
    var form = grid();
    if (!form) return;
    var changedRows = 0;
    form.querySelectorAll("tr.bulk-row").forEach(function (row) {
      var rowChanged = false;
      row.querySelectorAll("td[data-column]").forEach(function (td) {
        var control = controlOf(td);
        if (!control) return;
        var changed = cellValue(control) !== (control.getAttribute("data-original") || "");
        td.classList.toggle("changed", changed);
        if (changed) rowChanged = true;
      });
      row.classList.toggle("changed", rowChanged);
      if (rowChanged) changedRows += 1;
    });
    var count = document.getElementById("changed-count");
    if (count) {
      count.hidden = false;
      count.textContent = changedRows === 1 ? "1 item changed" : changedRows + " items changed";
      count.setAttribute("data-changed", String(changedRows));
    }
  }

  // The same column's cell `steps` rows below (negative: above).
  function cellBelow(td, steps) {
    var row = td.parentElement;
    var column = td.getAttribute("data-column");
    for (var i = 0; i < steps && row; i += 1) row = row.nextElementSibling;
    return row ? row.querySelector('td[data-column="' + column + '"]') : null;
  }

  function applyToColumn(button) {
    var form = grid();
    var column = button.getAttribute("data-apply-column");
    var holder = button.closest("td");
    var input = holder.querySelector("[data-apply-value]");
    var mode = holder.querySelector("[data-apply-mode]");
    var raw = input ? input.value.trim() : "";
    var percent = mode && mode.value === "percent";
    var pct = parseFloat(raw.replace("%", "").replace("+", "").replace("\u2212", "-"));
    if (percent && !isFinite(pct)) return;
    form.querySelectorAll('tr.bulk-row td[data-column="' + column + '"]').forEach(function (td) {
      var control = controlOf(td);
      if (!control) return;
      if (!percent) {
        setCell(control, raw);
        return;
      }
      if (!/^\s*\d+(\.\d+)?\s*$/.test(control.value)) return;
      // In minor units, so 10% of 12.25 is 13.48 (half up), not a float's 13.47.
      var decimals = Math.max((control.value.split(".")[1] || "").length,
        ((control.getAttribute("data-original") || "").split(".")[1] || "").length);
      var scale = Math.pow(10, decimals);
      var minor = Math.round(parseFloat(control.value) * scale);
      var next = Math.round(minor * (100 + pct) / 100);
      control.value = (next / scale).toFixed(decimals);
    });
    markChanges();
  }

  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("#bulk-edit")) markChanges();
  });
  document.addEventListener("change", function (event) {
    if (event.target.closest && event.target.closest("#bulk-edit")) markChanges();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-apply-column]");
    if (button && grid()) applyToColumn(button);
  });

  // Enter moves down the column, like a spreadsheet (Shift-Enter: up);
  // Tab and Shift-Tab are the browser's own.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.ctrlKey || event.metaKey || event.altKey) return;
    var td = event.target.closest && event.target.closest("#bulk-edit tr.bulk-row td[data-column]");
    if (!td) return;
    event.preventDefault();
    var next = event.shiftKey ? cellAbove(td) : cellBelow(td, 1);
    var control = controlOf(next);
    if (control) {
      control.focus();
      if (control.select) control.select();
    }
  });

  function cellAbove(td) {
    var row = td.parentElement.previousElementSibling;
    return row ? row.querySelector('td[data-column="' + td.getAttribute("data-column") + '"]') : null;
  }

  // Several lines pasted into a cell fill it and the cells below.
  document.addEventListener("paste", function (event) {
    var td = event.target.closest && event.target.closest("#bulk-edit tr.bulk-row td[data-column]");
    if (!td || !event.clipboardData) return;
    var lines = event.clipboardData.getData("text/plain").replace(/\r/g, "").split("\n");
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    if (lines.length < 2) return;
    event.preventDefault();
    var cell = td;
    lines.forEach(function (line) {
      var control = controlOf(cell);
      if (control) setCell(control, line.split("\t")[0].trim());
      cell = cell ? cellBelow(cell, 1) : null;
    });
    markChanges();
  });

  function start() {
    var form = grid();
    if (!form) return;
    form.querySelectorAll(".apply-row").forEach(function (row) { row.hidden = false; });
    markChanges();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
// ==== End of the bulk editor section. ====
