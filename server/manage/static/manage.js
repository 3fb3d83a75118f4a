// The live queue: the server pushes "the queue moved" (server-sent events); this page then fetches
// its list again, rendered and escaped by the server. Without a stream (all in use, or none in this
// browser) it asks every few hundred milliseconds instead. Without JavaScript the page still works:
// every change is a form, and a reload shows the queue.
(function () {
  "use strict";
  var list = document.getElementById("queue");
  if (!list) { return; }
  var live = document.getElementById("live");
  var version = list.getAttribute("data-version");
  var station = list.getAttribute("data-station") || "";
  var rowsUrl = list.getAttribute("data-rows-url");
  var pollMs = parseInt(list.getAttribute("data-poll-ms"), 10) || 1000;
  var polling = null;
  var busy = false;
  var again = false;

  function ids() {
    var found = {};
    list.querySelectorAll("[data-id]").forEach(function (row) { found[row.getAttribute("data-id")] = true; });
    return found;
  }
  var known = ids();

  function ring(count) {
    live.textContent = count === 1 ? "1 new follow-up" : count + " new follow-ups";
    if (navigator.vibrate) { try { navigator.vibrate(200); } catch (e) { /* not allowed */ } }
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) { return; }
      var context = new Context();
      var tone = context.createOscillator();
      tone.frequency.value = 880;
      tone.connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + 0.15);
    } catch (e) { /* no sound before the page is touched: fine */ }
  }

  function refresh(force) {
    if (busy) { again = true; return; }
    busy = true;
    var url = rowsUrl + "?v=" + encodeURIComponent(force ? "" : version) + "&station=" + encodeURIComponent(station);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (response) {
      if (response.status === 401) { window.location.href = list.getAttribute("data-login-url"); return null; }
      if (response.status !== 200) { return null; }
      version = response.headers.get("X-Queue-Version") || version;
      return response.text();
    }).then(function (html) {
      if (html === null) { return; }
      var focused = document.activeElement && document.activeElement.closest("[data-id]");
      var focusId = focused ? focused.getAttribute("data-id") : null;
      list.innerHTML = html;
      list.setAttribute("data-version", version);
      var now = ids();
      var fresh = Object.keys(now).filter(function (id) { return !known[id]; });
      known = now;
      if (fresh.length) { ring(fresh.length); }
      if (focusId) {
        var row = list.querySelector('[data-id="' + CSS.escape(focusId) + '"] a, [data-id="' + CSS.escape(focusId) + '"] button');
        if (row) { row.focus(); }
      }
    }).catch(function () { /* the next event or poll tries again */ }).then(function () {
      busy = false;
      if (again) { again = false; refresh(false); }
    });
  }

  function poll() {
    if (polling === null) { polling = window.setInterval(function () { refresh(false); }, pollMs); }
  }

  if (window.EventSource) {
    var events = new EventSource(list.getAttribute("data-events-url"));
    events.addEventListener("queue", function (event) {
      if (event.data !== version) { refresh(false); }
    });
    events.onerror = function () {
      if (events.readyState === EventSource.CLOSED) { poll(); }  // refused (all streams in use): poll
    };
  } else {
    poll();
  }
  // Times left move on even when nothing else does.
  window.setInterval(function () { refresh(true); }, 30000);
})();
