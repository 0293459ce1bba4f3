// Kefu: the few behaviours htmx does not cover. No dependencies.
(function () {
  "use strict";

  function setupNavToggle() {
    var toggle = document.getElementById("nav-toggle");
    var nav = document.getElementById("sidenav");
    if (!toggle || !nav) return;
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("is-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("is-open")) {
        nav.classList.remove("is-open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }

  // htmx 2 does not swap 4xx/5xx responses; tell the user instead of failing silently.
  function setupHtmxErrors() {
    document.body.addEventListener("htmx:responseError", function (event) {
      var status = event.detail.xhr ? event.detail.xhr.status : 0;
      var data = document.body.dataset;
      var text = status === 403 ? data.msg403 : status === 404 ? data.msg404 : data.msgError;
      window.alert(text);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupNavToggle();
    setupHtmxErrors();
  });
})();
