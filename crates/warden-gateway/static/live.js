// warden's live updates, a progressive enhancement: the pages work without
// it. When the gateway reports a change (server-sent events on /events),
// the page is fetched again and its <main> replaced, unless the person is
// typing in a form on it.
(function () {
  'use strict';
  if (!window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var waiting = false;
  function busy() {
    var a = document.activeElement;
    return a && (a.tagName === 'INPUT' || a.tagName === 'TEXTAREA' || a.tagName === 'SELECT');
  }
  function refresh() {
    if (waiting) {
      return;
    }
    waiting = true;
    window.setTimeout(function () {
      if (busy()) {
        waiting = false;
        return;
      }
      window.fetch(window.location.href, { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          waiting = false;
          if (!html) {
            return;
          }
          var fresh = new window.DOMParser().parseFromString(html, 'text/html').querySelector('main');
          var old = document.querySelector('main');
          if (fresh && old) {
            old.replaceWith(fresh);
          }
        })
        .catch(function () { waiting = false; });
    }, 250);
  }
  new window.EventSource('/events').addEventListener('change', refresh);
})();
