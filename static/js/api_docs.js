// The API docs (Swagger UI): its example boxes scroll sideways, and a keyboard user can only
// scroll a box that takes focus, so each <pre> gets tabindex=0 as Swagger UI renders it.
(function () {
  "use strict";
  const root = document.getElementById("swagger-ui");
  if (!root) return;
  const focusable = () => {
    root.querySelectorAll("pre:not([tabindex])").forEach((box) => box.setAttribute("tabindex", "0"));
  };
  new MutationObserver(focusable).observe(root, { childList: true, subtree: true });
})();
