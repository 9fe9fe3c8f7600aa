/* Small behaviours every page may use, without inline script (the Content-Security-Policy
 * allows scripts only from these files):
 * - <select data-autosubmit> submits its form when the choice changes with the mouse or touch;
 *   with the keyboard, arrow keys only move the choice (WCAG 3.2.2: no change of context on
 *   input) and Enter or leaving the field submits it;
 * - <form data-confirm="question"> asks the question before it is sent. */
(function () {
  "use strict";
  function autosubmit(field) {
    return field && field.matches && field.matches("select[data-autosubmit]") && field.form;
  }
  function changed(field) {
    return field.dataset.kbInitial !== undefined && field.value !== field.dataset.kbInitial;
  }
  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (autosubmit(field) && field.dataset.kbInitial === undefined) {
      field.dataset.kbInitial = field.value;
    }
  });
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (!autosubmit(field)) { return; }
    if (event.key === "Enter") {
      event.preventDefault();
      if (changed(field)) { field.form.submit(); }
    } else if (event.key !== "Tab") {
      field.dataset.kbKeyboard = "1";
    }
  });
  document.addEventListener("pointerdown", function (event) {
    var field = event.target;
    if (autosubmit(field)) { delete field.dataset.kbKeyboard; }
  });
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (autosubmit(field) && !field.dataset.kbKeyboard) {
      field.form.submit();
    }
  });
  document.addEventListener("focusout", function (event) {
    var field = event.target;
    if (autosubmit(field) && field.dataset.kbKeyboard && changed(field)) {
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
