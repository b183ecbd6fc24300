// Places booking bars on the two-week track from their data attributes (inline styles are
// not allowed by the page's content security policy, so positions are set here).
(function () {
  "use strict";
  document.querySelectorAll(".bar-item").forEach(function (bar) {
    bar.style.left = bar.dataset.left + "%";
    bar.style.width = bar.dataset.width + "%";
  });
})();
