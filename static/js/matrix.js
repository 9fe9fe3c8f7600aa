// The scoring matrix: digits and x on the focused row, a debounced live preview from the
// server (the same rule as the submit), and one submit per click.
(function () {
  "use strict";
  const form = document.getElementById("matrix-form");
  if (!form) return;
  const previewBox = document.getElementById("matrix-preview");
  const previewBar = document.getElementById("matrix-preview-bar");
  const submit = document.getElementById("matrix-submit");
  const groups = Array.from(form.querySelectorAll(".matrix-choices"));
  let timer = null;
  let sequence = 0;

  async function preview() {
    const mine = ++sequence;
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      if (!response.ok || mine !== sequence) return;
      const data = await response.json();
      previewBox.innerHTML = data.html;
      previewBox.dataset.score = data.binding_score === null ? "" : data.binding_score;
      if (previewBar) {
        previewBar.innerHTML = data.compact;
        previewBar.classList.add("show");
      }
    } catch (error) {
      // Offline or the server is busy: keep the last preview; the submit still works.
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(preview, 150);
  }

  function choose(group, value) {
    const input = group.querySelector('input[value="' + value + '"]');
    if (!input) return;
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // A row filled in after a refused submit is no longer in error: its mark, its error text
  // and its aria-invalid go; with the last marked row, the summary above the matrix goes too.
  function corrected(row) {
    if (!row || !row.classList.contains("matrix-row-invalid")) return;
    row.classList.remove("matrix-row-invalid");
    row.querySelectorAll(".invalid-feedback").forEach((text) => text.remove());
    const group = row.querySelector(".matrix-choices");
    if (group) {
      group.removeAttribute("aria-invalid");
      const described = (group.getAttribute("aria-describedby") || "")
        .split(" ").filter((id) => id && !id.startsWith("error-")).join(" ");
      if (described) group.setAttribute("aria-describedby", described);
      else group.removeAttribute("aria-describedby");
    }
    const summary = document.getElementById("matrix-errors");
    if (summary && !form.querySelector(".matrix-row-invalid")) summary.remove();
  }

  form.addEventListener("change", (event) => {
    if (event.target.type === "radio") {
      corrected(event.target.closest(".matrix-row"));
      schedule();
    }
  });

  // Digits 0–6 choose a score, x or ? "don't know"; focus moves on to the next row.
  form.addEventListener("keydown", (event) => {
    const group = event.target.closest(".matrix-choices");
    if (!group || event.ctrlKey || event.metaKey || event.altKey) return;
    let value = null;
    if (/^[0-6]$/.test(event.key)) value = event.key;
    else if (["x", "X", "?"].includes(event.key)) value = "x";
    if (value === null) return;
    event.preventDefault();
    choose(group, value);
    const next = groups[groups.indexOf(group) + 1];
    if (next) (next.querySelector("input:checked") || next.querySelector("input")).focus();
    else if (submit) submit.focus();
  });

  const copy = document.getElementById("copy-previous");
  if (copy) {
    copy.addEventListener("click", () => {
      form.querySelectorAll(".matrix-row[data-previous]").forEach((row) => {
        const group = row.querySelector(".matrix-choices");
        if (!group.querySelector("input:checked")) {
          const input = group.querySelector('input[value="' + row.dataset.previous + '"]');
          if (input) {
            input.checked = true;
            corrected(row);
          }
        }
      });
      schedule();
    });
  }

  const rest = document.getElementById("rest-dont-know");
  if (rest) {
    rest.addEventListener("click", () => {
      groups.forEach((group) => {
        if (!group.querySelector("input:checked")) {
          group.querySelector('input[value="x"]').checked = true;
          corrected(group.closest(".matrix-row"));
        }
      });
      schedule();
    });
  }

  // The address carries the form's key: Back after the submit asks the server for it again
  // (the page is never cached) and is sent on to the submitted result, not a stale matrix.
  const key = form.querySelector("input[name='submission_key']");
  if (key && key.value && window.history.replaceState) {
    const address = new URL(window.location.href);
    address.searchParams.set("submission", key.value);
    window.history.replaceState(window.history.state, "", address);
  }

  // The server ignores a second submit with the same key; this spares the round trip.
  let sent = false;
  form.addEventListener("submit", () => {
    sent = true;
    if (submit) {
      setTimeout(() => { submit.disabled = true; }, 0);
    }
  });
  // A browser that kept the submitted page in memory shows it again on Back: ask the server
  // instead, which answers with the result.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && sent) {
      window.location.reload();
      return;
    }
    if (submit && !submit.dataset.locked) submit.disabled = false;
  });

  if (form.querySelector(".matrix-choices input:checked")) preview();
  const errors = document.getElementById("matrix-errors");
  if (errors) {
    const firstInvalid = form.querySelector(".matrix-row-invalid .matrix-choices input");
    (firstInvalid || errors).focus();
  }
})();
