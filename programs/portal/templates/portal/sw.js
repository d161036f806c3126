// The portal's service worker ({{ version }}): the app's own files ahead, the guided players
// and her audio kept as she opens them, for use offline. Pages are always fetched fresh when
// online. Signing in or out clears all of it (Clear-Site-Data), so nothing of one session is
// ever shown in another.
"use strict";
var CACHE = "pelvicoach-{{ version }}";
var SHELL = {{ shell|tojson }};
var KEEP = {{ keep|tojson }};
var OFFLINE = SHELL[0];
// The files' addresses carry their version (?v=): matched by path, whichever version asks
var SHELL_PATHS = SHELL.map(function (url) { return new URL(url, self.location.href).pathname; });

// The app's own files carry nothing personal: fetched without cookies, so they can never
// answer with (or overwrite) anyone's session.
self.addEventListener("install", function (event) {
  var requests = SHELL.map(function (url) { return new Request(url, { credentials: "omit" }); });
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(requests); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) { return key !== CACHE; })
      .map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (SHELL_PATHS.indexOf(url.pathname) >= 0 && request.mode !== "navigate") {
    event.respondWith(caches.match(request, { ignoreSearch: true }).then(function (hit) {
      return hit || fetch(request);
    }));
    return;
  }
  var keep = KEEP.some(function (prefix) { return url.pathname.indexOf(prefix) === 0; });
  if (!keep && request.mode !== "navigate") return;
  event.respondWith(fetch(request).then(function (response) {
    if (keep && response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(url.pathname).then(function (hit) {
      return hit || (request.mode === "navigate" ? caches.match(OFFLINE) : Response.error());
    });
  }));
});
