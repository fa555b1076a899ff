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

/* When an htmx request fails, say so in the panel it was meant for, with a way to retry:
   a lost connection (htmx:sendError), and 4xx/5xx answers (htmx:responseError), which
   htmx does not swap. The words come from #request-errors in base.html (translated on
   the server); no inline script, so the Content-Security-Policy stays strict.
   An expired CSRF token (400) gets the fresh token the error page carries, so that
   "Riprova" sends the same form again with what the member typed. */
(function () {
  "use strict";

  function words() {
    var el = document.getElementById("request-errors");
    return el ? el.dataset : {};
  }

  function freshToken(xhr) {
    var match = /name="csrf-token" content="([^"]+)"/.exec(xhr.responseText || "");
    return match ? match[1] : null;
  }

  function useToken(token) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) meta.setAttribute("content", token);
    document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) {
      input.value = token;
    });
  }

  function retry(elt) {
    if (elt && elt.tagName === "FORM") {
      if (elt.requestSubmit) elt.requestSubmit(); else elt.submit();
    } else if (elt && elt.click) {
      elt.click();
    } else {
      window.location.reload();
    }
  }

  function show(detail, message) {
    var target = detail.target || document.getElementById("panel") || document.getElementById("main");
    if (!target) return;
    var old = target.querySelector(".request-error");
    if (old) old.remove();
    var box = document.createElement("div");
    box.className = "request-error";
    box.setAttribute("role", "alert");
    box.setAttribute("tabindex", "-1");
    var text = document.createElement("p");
    text.textContent = message;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "primary";
    button.textContent = words().retry || "Riprova";
    button.addEventListener("click", function () {
      box.remove();
      retry(detail.elt);
    });
    box.appendChild(text);
    box.appendChild(button);
    target.insertBefore(box, target.firstChild);
    box.focus();
  }

  document.addEventListener("htmx:sendError", function (event) {
    show(event.detail, words().offline);
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var say = words();
    var message = say.failed;
    if (xhr.status === 400) {
      var token = freshToken(xhr);
      if (token) {
        useToken(token);
        message = say.expired;
      }
    } else if (xhr.status === 404) {
      message = say.missing;
    } else if (xhr.status === 429) {
      message = say.busy;
    }
    show(event.detail, message);
  });
})();
