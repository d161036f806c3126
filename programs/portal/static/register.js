// Registers the portal's service worker for this tenant's pages only.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script) return;
  navigator.serviceWorker.register(script.getAttribute("data-worker"), {
    scope: script.getAttribute("data-scope")
  }).catch(function () { /* no offline use; the portal works as before */ });
})();
