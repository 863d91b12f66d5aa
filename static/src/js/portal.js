// The tenant portal's small enhancements. Every page works without them: copy boxes stay
// selectable, forms with data-confirm post directly, menus are <details> that open and close by
// themselves. Delegated from document so content htmx swaps in keeps working. No dependencies.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http (a server reached by address): fall back to a hidden selection.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try {
        document.execCommand("copy") ? resolve() : reject(new Error("copy refused"));
      } catch (err) {
        reject(err);
      } finally {
        area.remove();
      }
    });
  }

  function flashLabel(button, text) {
    var label = button.querySelector("[data-copy-label]");
    if (!label) {
      return;
    }
    var before = label.getAttribute("data-default") || label.textContent;
    label.setAttribute("data-default", before);
    label.textContent = text;
    button.classList.add("is-copied");
    window.clearTimeout(button._wgTimer);
    button._wgTimer = window.setTimeout(function () {
      label.textContent = before;
      button.classList.remove("is-copied");
    }, 2000);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }

    var copy = target.closest("[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.getAttribute("data-copy"));
      if (source) {
        var text = "value" in source ? source.value : source.textContent;
        copyText(text).then(
          function () { flashLabel(copy, "Copied"); },
          function () {
            if (source.select) {
              source.select();
            }
            flashLabel(copy, "Press Ctrl+C");
          }
        );
      }
      return;
    }

    // Close open menus (<details>) when clicking elsewhere.
    document.querySelectorAll("details.wg-menu[open], details.wg-usermenu[open]").forEach(function (d) {
      if (!d.contains(target)) {
        d.removeAttribute("open");
      }
    });
  });

  // Selecting the whole value of a copy box on focus makes copying by hand one keystroke.
  document.addEventListener("focusin", function (event) {
    var t = event.target;
    if (t instanceof HTMLInputElement && t.classList.contains("wg-copy__value")) {
      t.select();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    document.querySelectorAll("details.wg-menu[open], details.wg-usermenu[open]").forEach(function (d) {
      d.removeAttribute("open");
    });
    var toggle = document.getElementById("wg-nav-toggle");
    if (toggle && toggle.checked) {
      toggle.checked = false;
    }
  });

  // Live pages (htmx SSE streams) must not keep their stream while in the back/forward cache:
  // Chrome keeps a cached page's EventSource open, and six of them take every connection the
  // browser allows to this server, so the next page waits until a stream ends. Close them when the
  // page is hidden; a page restored from the cache reloads, to show the current state.
  window.addEventListener("pagehide", function () {
    document.querySelectorAll("[sse-connect]").forEach(function (el) {
      var data = el["htmx-internal-data"];
      if (data && data.sseEventSource) {
        data.sseEventSource.close();
      }
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && document.querySelector("[sse-connect]")) {
      window.location.reload();
    }
  });

  // Forms that change something small but not undoable ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    }
  }, true);
})();
