// A page whose job runs (an import, a report download): ask for the progress every second,
// move the bar, and show the page anew once the job has finished its step. The box says where
// to ask (data-url), the state it was shown in (data-state) and how to word the progress
// (data-template, with {done} and {total}); the answer is JSON {state, progress, total}.
// Without script, the page's own "Show progress" link does the same by hand.
(function () {
  "use strict";
  const box = document.querySelector("[data-job-progress]");
  if (!box) return;
  const bar = box.querySelector("progress");
  const text = box.querySelector("[data-progress-text]");
  const template = box.dataset.template;
  const startState = box.dataset.state;

  async function poll() {
    let data;
    try {
      const response = await fetch(box.dataset.url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      data = await response.json();
    } catch (error) {
      window.setTimeout(poll, 3000);
      return;
    }
    if (data.state !== startState) {
      window.location.reload();
      return;
    }
    if (data.total > 0) {
      bar.max = data.total;
      bar.value = data.progress;
    }
    text.textContent = template
      .replace("{done}", data.progress.toLocaleString())
      .replace("{total}", data.total.toLocaleString());
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 500);
})();
