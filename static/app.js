// Small enhancements; every page works without this file. No inline script anywhere (CSP).
// Copy buttons: shown only where the clipboard can be written; a status says it worked.
(function () {
  "use strict";
  if (navigator.clipboard && window.isSecureContext) {
    document.documentElement.classList.add("can-copy");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      var status = document.querySelector("[data-copy-status]");
      if (status) status.textContent = button.getAttribute("data-copied");
      button.classList.add("copied");
      setTimeout(function () { button.classList.remove("copied"); }, 2000);
    });
  });
})();
