/*
 * xlatbox DNS64 statistics: keeps the counters table and the cards current from /api/v1/dns64/stats every 2 s,
 * with a per-second rate. The page is complete without it. Read-only, so no CSRF token is needed.
 */
(function () {
  'use strict';
  var table = document.getElementById('dns-counters');
  if (!table || !window.fetch || !window.xlatbox) {
    return;
  }
  var nf = new Intl.NumberFormat();
  var nf1 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  var last = null;
  var lastAt = 0;
  var badge = document.getElementById('live');

  function set(name, text) {
    var el = document.querySelector('[data-dns="' + name + '"]');
    if (el) {
      el.textContent = text;
    }
  }

  function show(s, at) {
    var c = s.counters || {};
    Object.keys(c).forEach(function (k) {
      var row = table.querySelector('tr[data-counter="' + k + '"]');
      if (!row) {
        return;
      }
      row.cells[3].textContent = nf.format(c[k]);
      if (last && at > lastAt) {
        row.cells[4].textContent = nf1.format(Math.max(0, (c[k] - (last[k] || 0)) * 1000 / (at - lastAt)));
      }
    });
    set('queries', nf.format((c.QUERIES_UDP || 0) + (c.QUERIES_TCP || 0)));
    set('synthesized', nf.format(c.SYNTHESIZED || 0));
    set('cacheEntries', nf.format(s.cacheEntries || 0));
    var n = (c.CACHE_HITS || 0) + (c.CACHE_MISSES || 0);
    set('hitRate', n > 0 ? nf1.format(100 * (c.CACHE_HITS || 0) / n) + ' %' : '–');
    last = c;
    lastAt = at;
  }

  /** One poll (js/poll.js). */
  function refresh() {
    var at = Date.now();
    return fetch(table.getAttribute('data-stats'), { headers: { Accept: 'application/json' },
      credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (!r.ok || (r.headers.get('Content-Type') || '').indexOf('json') < 0) {
          throw new Error('HTTP ' + r.status);
        }
        return r.json();
      })
      .then(function (s) {
        if (!s.running) {
          throw new Error('stopped');
        }
        show(s, at);
        badge.hidden = false;
        badge.className = 'live on';
        badge.textContent = 'Live';
      })
      .catch(function () {
        badge.hidden = false;
        badge.className = 'live off';
        badge.textContent = 'Offline';
      });
  }

  window.xlatbox.poll(refresh, 2000);
})();
