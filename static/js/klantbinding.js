/* Small behaviours every page may use, without inline script (the Content-Security-Policy
 * allows scripts only from these files):
 * - <select data-autosubmit> submits its form when the choice changes;
 * - <form data-confirm="question"> asks the question before it is sent. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("select[data-autosubmit]") && field.form) {
      field.form.submit();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
