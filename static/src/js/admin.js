// The console's small browser behaviours, delegated from document so they keep working on content
// htmx swaps in. Everything works without it; this only adds comfort.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    // Copy buttons: data-copy names the input whose value is copied.
    var button = target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) {
      return;
    }
    var label = button.querySelector("[data-copy-label]");
    var done = function () {
      if (label) {
        label.textContent = "Copied";
        window.setTimeout(function () {
          label.textContent = "Copy";
        }, 2000);
      }
    };
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
