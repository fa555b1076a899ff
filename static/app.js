/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  // CSRF for htmx requests that are not form posts (forms carry their own token).
  document.addEventListener("htmx:configRequest", function (event) {
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.getAttribute("content"); }
  });
  // After a swap, move focus to the new panel's heading (WCAG 2.4.3).
  document.addEventListener("htmx:afterSwap", function (event) {
    var heading = event.detail.target.querySelector("h1, h2");
    if (heading) {
      if (!heading.hasAttribute("tabindex")) { heading.setAttribute("tabindex", "-1"); }
      heading.focus();
    }
  });
})();
