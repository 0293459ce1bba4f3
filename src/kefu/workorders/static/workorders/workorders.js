// Work-order pages: live countdowns to the time limit, the complaint-only source field on
// the intake form, and "tick all" on the dispatch queue. No dependencies.
(function () {
  "use strict";

  var SECOND = 1000;
  var DAY = 86400;

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  // 93784 s → "1 天 02:03:04" (the day word comes from the page, translated).
  function formatSpan(seconds, dayWord) {
    var days = Math.floor(seconds / DAY);
    var rest = seconds - days * DAY;
    var clock =
      pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
    return days > 0 ? days + " " + dayWord + " " + clock : clock;
  }

  function texts() {
    var el = document.getElementById("wo-i18n");
    var d = el ? el.dataset : {};
    return {
      left: d.left || "",
      over: d.over || "-",
      breached: d.breached || d.over || "-",
      day: d.day || "d",
    };
  }

  // Every element with data-due (an ISO time) shows the time left, or how long it is
  // overdue, and is re-read each tick, so rows htmx swaps in tick without set-up.
  function tick() {
    var nodes = document.querySelectorAll("[data-due]");
    if (!nodes.length) return;
    var t = texts();
    var now = Date.now();
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var due = Date.parse(node.getAttribute("data-due"));
      if (isNaN(due)) continue;
      var seconds = Math.round((due - now) / SECOND);
      var overdue = seconds < 0;
      var breached = node.getAttribute("data-state") === "breached";
      var text = (overdue ? t.over : t.left) + " " + formatSpan(Math.abs(seconds), t.day);
      // An order overdue on one clock (a missed first contact) whose next limit is still
      // ahead is overdue, red, and never shows "time left".
      if (breached && !overdue) text = t.breached;
      var label = node.querySelector(".countdown-text") || node;
      if (label.textContent !== text) label.textContent = text;
      // Breached by the SLA monitor stays red even if the next deadline is still ahead.
      node.classList.toggle("is-overdue", overdue || breached);
    }
  }

  // The complaint source (and a complaint's cause and verdict when resolved on the spot)
  // only qualify complaints: show them for complaint types only.
  function syncSource(form) {
    var select = form.querySelector("select[name=order_type]");
    var fields = form.querySelectorAll("[data-source-field]");
    if (!select || !fields.length) return;
    var complaintTypes = (form.getAttribute("data-complaint-types") || "").split(",");
    for (var i = 0; i < fields.length; i++) {
      fields[i].hidden = complaintTypes.indexOf(select.value) === -1;
    }
  }

  function setupForms(root) {
    var forms = (root || document).querySelectorAll("form[data-complaint-types]");
    for (var i = 0; i < forms.length; i++) syncSource(forms[i]);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "order_type") {
      var form = target.closest("form[data-complaint-types]");
      if (form) syncSource(form);
    }
    if (target.id === "bulk-all") {
      var boxes = document.querySelectorAll("input[name=orders][form=bulk-dispatch]");
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = target.checked;
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    setupForms(document);
    tick();
    window.setInterval(tick, SECOND);
    document.body.addEventListener("htmx:afterSettle", function (event) {
      setupForms(event.target);
      tick();
    });
  });
})();
