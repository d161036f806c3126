// Sets saved without internet wait on her phone (localStorage, cleared on signing in or out)
// and are sent when she is online again, each with its own id: sent twice, stored once.
(function () {
  "use strict";
  var form = document.querySelector("form[data-offline-log]");
  if (!form) return;
  var KEY = "pelvicoach-offline-sets";
  var status = document.querySelector("[data-offline-status]");
  var sending = false;

  function queue() {
    try { return JSON.parse(window.localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function store(items) { window.localStorage.setItem(KEY, JSON.stringify(items)); }
  function show() {
    var waiting = queue().length;
    status.textContent = waiting ? status.getAttribute("data-waiting").replace("{n}", waiting) : "";
  }
  function newId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (window.crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  form.addEventListener("submit", function (event) {
    if (navigator.onLine) return;  // online: the form posts as usual
    event.preventDefault();
    var data = new FormData(form);
    var items = queue();
    items.push({
      client_id: newId(),
      performed_at: new Date().toISOString(),
      level: Number(data.get("level")),
      completion: data.get("completion") || "fully",
      effort: event.submitter ? event.submitter.value : "right",
      leaked: data.get("leaked") === "true"
    });
    store(items);
    show();
    status.focus();
  });

  function send() {
    var items = queue();
    if (!items.length || !navigator.onLine || sending) return;
    sending = true;
    var item = items[0];
    window.fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": form.querySelector("[name=csrf_token]").value
      },
      body: JSON.stringify(item)
    }).then(function (response) {
      sending = false;
      // stored (201), stored before (200), or never storable (422): off the queue
      if (response.ok || response.status === 422) {
        store(queue().filter(function (other) { return other.client_id !== item.client_id; }));
        show();
        if (queue().length) { send(); } else { window.location.reload(); }
      }
    }).catch(function () { sending = false; });
  }

  window.addEventListener("online", send);
  show();
  send();
})();
