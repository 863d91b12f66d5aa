// The portal's interactive API reference. scripts/build-static puts Swagger UI's bundle (npm
// swagger-ui-dist, which defines SwaggerUIBundle) in front of this file in static/dist/js/api-docs.js.
//
// It mounts into <div id="api-docs" data-openapi-url="/api/v1/openapi.json">, replacing what the
// div holds, and hides every element marked data-api-docs-fallback (the page's words for browsers
// without JavaScript, or while the script loads). The only request it makes is for
// the OpenAPI document, and the ones a user sends with "Try it out": no validator badge, no fonts,
// no telemetry. Keys typed into "Authorize" stay in the page's memory, never in storage.
(function () {
  "use strict";

  function mount() {
    var el = document.getElementById("api-docs");
    if (!el || el.getAttribute("data-mounted") === "true" || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    el.setAttribute("data-mounted", "true");
    el.textContent = "";
    document.querySelectorAll("[data-api-docs-fallback]").forEach(function (f) {
      f.hidden = true;
    });
    el.classList.add("wg-api-docs");
    window.SwaggerUIBundle({
      url: el.getAttribute("data-openapi-url") || "/api/v1/openapi.json",
      domNode: el,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      deepLinking: true,
      validatorUrl: null,
      persistAuthorization: false,
      docExpansion: "list",
      defaultModelsExpandDepth: 0,
      defaultModelExpandDepth: 2,
      displayOperationId: false,
      displayRequestDuration: true,
      showExtensions: false,
      syntaxHighlight: { activated: true, theme: "nord" },
      tryItOutEnabled: false,
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
  // Pages swapped in by htmx (hx-boost) run no DOMContentLoaded.
  document.addEventListener("htmx:load", mount);
})();
