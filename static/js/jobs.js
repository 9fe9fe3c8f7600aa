// A background job's page: poll its status endpoint and move the progress bar until the job
// is done (without JavaScript the page reloads itself instead).
(function () {
  "use strict";
  const job = document.getElementById("job");
  if (!job || job.dataset.finished === "true") return;
  const progress = document.getElementById("job-progress");
  const percent = document.getElementById("job-percent");
  const message = document.getElementById("job-message");
  const links = document.getElementById("job-done-links");
  const states = { done: "alert-success", failed: "alert-danger" };

  function show(status) {
    progress.value = status.percent;
    progress.textContent = status.percent + " %";
    percent.textContent = status.percent + " %";
    if (message.textContent !== status.message) message.textContent = status.message;
    message.classList.remove("alert-info", "alert-success", "alert-danger");
    message.classList.add(states[status.state] || "alert-info");
    job.dataset.state = status.state;
    if (status.finished) {
      job.dataset.finished = "true";
      links.hidden = false;
    }
  }

  function poll() {
    fetch(job.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (!status.finished) window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
