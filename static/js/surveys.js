// The campaign form: show only the field the chosen scope needs (all show without JS).
(function () {
  "use strict";
  const radios = document.querySelectorAll("input[name='scope']");
  if (!radios.length) return;
  function update() {
    const chosen = document.querySelector("input[name='scope']:checked");
    document.querySelectorAll("[data-scope]").forEach(function (field) {
      field.hidden = !chosen || field.dataset.scope !== chosen.value;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
