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

// The campaign form: a reminder must come before the invitation expires (as the server checks
// when reminders are sent at all), so the reminder field's maximum follows the expiry field.
(function () {
  "use strict";
  const reminder = document.querySelector("input[name='reminder_after_days']");
  const expires = document.querySelector("input[name='expires_after_days']");
  const most = document.querySelector("input[name='max_reminders']");
  if (!reminder || !expires || !most) return;
  const ceiling = reminder.getAttribute("max");
  function update() {
    const days = parseInt(expires.value, 10);
    const reminders = parseInt(most.value, 10);
    if (days > 1 && reminders > 0) {
      reminder.max = String(days - 1);
    } else if (ceiling) {
      reminder.max = ceiling;
    } else {
      reminder.removeAttribute("max");
    }
  }
  expires.addEventListener("input", update);
  most.addEventListener("input", update);
  update();
})();
