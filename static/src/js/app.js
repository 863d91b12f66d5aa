// Wagate's own browser behaviour. Everything is delegated from document so it
// keeps working on content htmx swaps in later. No dependencies.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }

    // Bulma ships no JavaScript: open and close the mobile navbar menu.
    var burger = target.closest("[data-toggle='navbar']");
    if (burger) {
      var menu = document.getElementById(burger.getAttribute("aria-controls"));
      var open = burger.getAttribute("aria-expanded") !== "true";
      burger.setAttribute("aria-expanded", String(open));
      burger.classList.toggle("is-active", open);
      if (menu) {
        menu.classList.toggle("is-active", open);
      }
      return;
    }

    // Close the mobile menu once an in-page link in it was followed.
    var navLink = target.closest(".navbar-menu.is-active a[href^='#']");
    if (navLink) {
      var openMenu = navLink.closest(".navbar-menu");
      openMenu.classList.remove("is-active");
      var toggle = document.querySelector("[aria-controls='" + openMenu.id + "']");
      if (toggle) {
        toggle.classList.remove("is-active");
        toggle.setAttribute("aria-expanded", "false");
      }
      return;
    }

    // Dismiss buttons on flash messages (components.Flash).
    var dismiss = target.closest("[data-dismiss='flash']");
    if (dismiss) {
      var flash = dismiss.closest("[data-testid='flash']");
      if (flash) {
        flash.remove();
      }
    }
  });
})();
