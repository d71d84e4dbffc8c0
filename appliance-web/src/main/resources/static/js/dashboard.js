/*
 * xlatbox dashboard: live numbers and graphs. The page is complete without this script (the server renders
 * every number); this only keeps it current. Every 2 s it asks /api/v1/status/history for the samples since
 * the last one it has, plus the status, the counters and the DNS64 statistics, and redraws with uPlot.
 * It only reads (GET), so it needs no CSRF token.
 */
(function () {
  'use strict';

  var root = document.getElementById('charts');
  if (!root || typeof window.uPlot !== 'function' || !window.fetch || !window.xlatbox) {
    return;
  }
  var PERIOD = 2000;
  var KEEP = 3600;           // seconds of samples kept in the page: the server keeps an hour
  var urls = root.dataset;
  var windowSeconds = 15 * 60;
  var lastMillis = 0;
  var descriptions = {};
  var lastCounters = null;
  var lastCountersTime = 0;

  // --------------------------------------------------------------------------------------------- formatting

  var nf = new Intl.NumberFormat();
  var nf1 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

  function si(v, unit) {
    var a = Math.abs(v);
    var units = ['', 'k', 'M', 'G', 'T'];
    var i = 0;
    while (a >= 1000 && i < units.length - 1) {
      a /= 1000;
      v /= 1000;
      i++;
    }
    var text = a >= 100 || (i === 0 && Math.round(v) === v) ? nf.format(Math.round(v)) : nf1.format(v);
    return text + ' ' + units[i] + unit;
  }
  var FMT = {
    rate: function (v) { return si(v, '/s').replace(' /s', '/s'); },
    bits: function (v) { return si(v, 'bit/s'); },
    count: function (v) { return Math.round(v) === v ? nf.format(v) : nf1.format(v); },
    pct: function (v) { return nf1.format(v) + ' %'; }
  };

  // --------------------------------------------------------------------------------------------- the samples

  var store = { t: [], s: {}, drops: {} };

  function hitRate(hits, misses) {
    var n = hits + misses;
    return n > 0 ? 100 * hits / n : null;
  }

  function append(h) {
    var n = h.time.length;
    if (n === 0) {
      return;
    }
    var before = store.t.length;
    for (var i = 0; i < n; i++) {
      store.t.push(h.time[i] / 1000);
    }
    Object.keys(h).forEach(function (k) {
      if (k === 'time' || k === 'dropsByReason') {
        return;
      }
      var a = store.s[k] || (store.s[k] = fill(before));
      Array.prototype.push.apply(a, h[k]);
    });
    var hits = h.dnsCacheHits || [];
    var misses = h.dnsCacheMisses || [];
    var hr = store.s.dnsHitRate || (store.s.dnsHitRate = fill(before));
    for (var j = 0; j < n; j++) {
      hr.push(hitRate(hits[j] || 0, misses[j] || 0));
    }
    var drops = h.dropsByReason || {};
    Object.keys(store.drops).forEach(function (k) {
      if (!drops[k]) {
        Array.prototype.push.apply(store.drops[k], fill(n, 0));
      }
    });
    Object.keys(drops).forEach(function (k) {
      var a = store.drops[k] || (store.drops[k] = fill(before, 0));
      Array.prototype.push.apply(a, drops[k]);
    });
    lastMillis = h.time[n - 1];
    var cut = 0;
    var oldest = store.t[store.t.length - 1] - KEEP;
    while (cut < store.t.length && store.t[cut] < oldest) {
      cut++;
    }
    if (cut > 0) {
      store.t.splice(0, cut);
      Object.keys(store.s).forEach(function (k) { store.s[k].splice(0, cut); });
      Object.keys(store.drops).forEach(function (k) { store.drops[k].splice(0, cut); });
    }
  }

  function fill(n, v) {
    var a = new Array(n);
    for (var i = 0; i < n; i++) {
      a[i] = v === undefined ? null : v;
    }
    return a;
  }

  // --------------------------------------------------------------------------------------------- the graphs

  function dropSeries() {
    var keys = Object.keys(store.drops);
    if (keys.length === 0) {
      return [{ key: 'drops', label: 'all reasons' }];
    }
    return keys.map(function (k) { return { key: k, label: descriptions[k] || k, drop: true }; });
  }

  var CHARTS = [
    { id: 'packets', title: 'Packets', fmt: FMT.rate, series: [
      { key: 'packets6to4', label: 'IPv6 → IPv4' }, { key: 'packets4to6', label: 'IPv4 → IPv6' }] },
    { id: 'bytes', title: 'Throughput', fmt: FMT.bits, scale: 8, series: [
      { key: 'bytes6to4', label: 'IPv6 → IPv4' }, { key: 'bytes4to6', label: 'IPv4 → IPv6' }] },
    { id: 'sessions', title: 'Sessions', fmt: FMT.count, series: [
      { key: 'sessionsTcp', label: 'TCP' }, { key: 'sessionsUdp', label: 'UDP' }, { key: 'sessionsIcmp', label: 'ICMP' }] },
    { id: 'pool4', title: 'Pool4 ports in use', fmt: FMT.count, series: [{ key: 'pool4Used', label: 'in use' }] },
    { id: 'dns', title: 'DNS64 queries', fmt: FMT.rate, series: [{ key: 'dnsQueries', label: 'queries' }] },
    { id: 'synthesis', title: 'Synthesis and cache', fmt: FMT.rate, series: [
      { key: 'dnsSynthesized', label: 'synthesized' },
      { key: 'dnsHitRate', label: 'cache hit rate', pct: true }] },
    { id: 'drops', title: 'Drops by reason', fmt: FMT.rate, dynamic: dropSeries }
  ];

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function seriesOf(def) {
    return def.dynamic ? def.dynamic() : def.series;
  }

  function build(def) {
    var muted = css('--muted');
    var grid = css('--grid');
    var series = seriesOf(def);
    var hasPct = series.some(function (s) { return s.pct; });
    var axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 },
      font: '11px system-ui, sans-serif' };
    var opts = {
      width: Math.max(200, def.el.clientWidth),
      height: 200,
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      scales: {
        // the whole chosen window, the newest sample at the right edge
        x: { time: true, range: function (u, min, max) { return [max - windowSeconds, max]; } },
        y: { range: function (u, min, max) { return [0, Math.max(5, max * 1.1)]; } },
        pct: { range: [0, 100] }
      },
      axes: [
        Object.assign({}, axis),
        Object.assign({}, axis, { size: def.fmt === FMT.bits ? 84 : 64,
          values: function (u, vals) { return vals.map(def.fmt); } })
      ],
      series: [{ value: function (u, v) { return v == null ? '–' : new Date(v * 1000).toLocaleTimeString(); } }]
    };
    if (hasPct) {
      opts.axes.push(Object.assign({}, axis, { scale: 'pct', side: 1, size: 48, grid: { show: false },
        values: function (u, vals) { return vals.map(function (v) { return v + ' %'; }); } }));
    }
    series.forEach(function (s, i) {
      var color = css('--c' + ((i % 8) + 1));
      opts.series.push({
        label: s.label,
        scale: s.pct ? 'pct' : 'y',
        stroke: color,
        width: 1.6,
        fill: s.pct || series.length > 3 ? undefined : color + '1f',
        points: { show: false },
        spanGaps: false,
        value: function (u, v) { return v == null ? '–' : (s.pct ? FMT.pct(v) : def.fmt(v)); }
      });
    });
    def.keys = series.map(function (s) { return s.key; });
    def.drop = series.some(function (s) { return s.drop; });
    def.plot = new window.uPlot(opts, dataOf(def), def.el);
  }

  function dataOf(def) {
    var start = 0;
    var latest = store.t.length ? store.t[store.t.length - 1] : 0;
    while (start < store.t.length && store.t[start] < latest - windowSeconds) {
      start++;
    }
    var out = [store.t.slice(start)];
    def.keys.forEach(function (k) {
      var src = def.drop ? store.drops[k] : store.s[k];
      var a = (src || fill(store.t.length)).slice(start);
      if (def.scale) {
        a = a.map(function (v) { return v == null ? null : v * def.scale; });
      }
      out.push(a);
    });
    return out;
  }

  function nowText(def, data) {
    var n = data[0].length;
    if (!def.now || n === 0) {
      return;
    }
    var parts = [];
    for (var i = 1; i < data.length && parts.length < 3; i++) {
      var v = data[i][n - 1];
      if (v != null) {
        var s = seriesOf(def)[i - 1];
        parts.push(s.label + ' ' + (s.pct ? FMT.pct(v) : def.fmt(v)));
      }
    }
    def.now.textContent = parts.join(' · ');
  }

  function createCards() {
    CHARTS.forEach(function (def) {
      var card = document.createElement('section');
      card.className = 'card chart';
      card.id = 'chart-' + def.id;
      var head = document.createElement('div');
      head.className = 'card-head';
      var h = document.createElement('h2');
      h.textContent = def.title;
      def.now = document.createElement('span');
      def.now.className = 'now';
      head.appendChild(h);
      head.appendChild(def.now);
      def.el = document.createElement('div');
      def.el.className = 'plot';
      card.appendChild(head);
      card.appendChild(def.el);
      root.appendChild(card);
    });
  }

  function redraw(rebuild) {
    CHARTS.forEach(function (def) {
      var keys = seriesOf(def).map(function (s) { return s.key; }).join();
      if (rebuild || !def.plot || keys !== def.keys.join()) {
        if (def.plot) {
          def.plot.destroy();
        }
        build(def);
      } else {
        def.plot.setData(dataOf(def));
      }
      nowText(def, def.plot.data);
    });
  }

  // --------------------------------------------------------------------------------------------- the numbers

  function live(name, text) {
    var els = document.querySelectorAll('[data-live="' + name + '"]');
    for (var i = 0; i < els.length; i++) {
      els[i].textContent = text;
    }
  }

  function perProtocol(prefix, m) {
    if (!m) {
      return;
    }
    var all = 0;
    ['TCP', 'UDP', 'ICMP'].forEach(function (p) {
      all += m[p] || 0;
      live(prefix + '.' + p.toLowerCase(), nf.format(m[p] || 0));
    });
    live(prefix + '.all', nf.format(all));
  }

  var stateSeen = null;

  function showStatus(st) {
    var d = st.dataplane || {};
    var sig = [d.engineRunning, d.engineError, d.dns64Running, d.dns64Error].join('|');
    if (stateSeen === null) {
      stateSeen = sig;
    } else if (sig !== stateSeen) {
      document.getElementById('state-changed').hidden = false;
    }
    live('configVersion', String(st.configVersion));
    perProtocol('sessions', st.sessions);
    perProtocol('bib', st.bib);
    Object.keys(st.pool4 || {}).forEach(function (p) {
      live('pool4.' + p, nf.format(st.pool4[p].used) + ' of ' + nf.format(st.pool4[p].total));
    });
  }

  function showPool4() {
    var card = document.querySelector('[data-pool4-total]');
    var used = store.s.pool4Used;
    if (!card || !used || used.length === 0) {
      return;
    }
    var total = Number(card.getAttribute('data-pool4-total'));
    var pct = total > 0 ? 100 * used[used.length - 1] / total : 0;
    live('pool4.percent', used[used.length - 1] > 0 && pct < 0.1 ? '< 0.1' : pct.toFixed(1));
    var meter = card.querySelector('[data-live="pool4.meter"]');
    if (meter) {
      meter.style.width = pct.toFixed(1) + '%';
    }
  }

  function showCounters(c, at) {
    var nat = c.nat64 || {};
    ['translated6to4', 'translated4to6', 'sessionsCreated'].forEach(function (k) {
      if (k in nat) {
        live('traffic.' + k, nf.format(nat[k]));
      }
    });
    var rows = [];
    var total = 0;
    Object.keys(nat).forEach(function (k) {
      if (k.indexOf('drop') === 0 && nat[k] > 0) {
        total += nat[k];
        var rate = lastCounters && at > lastCountersTime
          ? Math.max(0, (nat[k] - (lastCounters[k] || 0)) * 1000 / (at - lastCountersTime)) : null;
        rows.push({ key: k, count: nat[k], rate: rate });
      }
    });
    live('drops.total', nf.format(total));
    rows.sort(function (a, b) { return b.count - a.count; });
    var tbody = document.querySelector('#drops-table tbody');
    if (tbody) {
      tbody.textContent = '';
      rows.forEach(function (r) {
        var tr = document.createElement('tr');
        tr.setAttribute('data-key', r.key);
        cell(tr, descriptions[r.key] || r.key, 'text');
        cell(tr, r.key, 'mono small');
        cell(tr, nf.format(r.count), 'num');
        cell(tr, r.rate == null ? '–' : FMT.rate(r.rate), 'num');
        tbody.appendChild(tr);
      });
      if (rows.length === 0) {
        var tr = document.createElement('tr');
        var td = cell(tr, 'Nothing dropped.', 'empty');
        td.colSpan = 4;
        tbody.appendChild(tr);
      }
    }
    lastCounters = nat;
    lastCountersTime = at;
    var dns = c.dns64 || {};
    if ('QUERIES_UDP' in dns) {
      live('dns.queries', nf.format((dns.QUERIES_UDP || 0) + (dns.QUERIES_TCP || 0)));
      live('dns.synthesized', nf.format(dns.SYNTHESIZED || 0));
      var hr = hitRate(dns.CACHE_HITS || 0, dns.CACHE_MISSES || 0);
      live('dns.hitRate', hr == null ? '–' : nf1.format(hr) + ' %');
    }
  }

  function cell(tr, text, cls) {
    var td = document.createElement('td');
    td.className = cls;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function showDns(d) {
    if (d && d.running) {
      live('dns.cache', nf.format(d.cacheEntries || 0));
    }
  }

  // --------------------------------------------------------------------------------------------- polling

  function get(url) {
    return fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        var type = r.headers.get('Content-Type') || '';
        if (r.status === 401 || r.status === 403 || (r.ok && type.indexOf('json') < 0)) {
          var e = new Error('You have been signed out. Reload the page to sign in again.');
          e.fatal = true;
          throw e;
        }
        if (!r.ok) {
          throw new Error(url + ': HTTP ' + r.status);
        }
        return r.json();
      });
  }

  function state(ok, message) {
    var el = document.getElementById('live');
    el.hidden = false;
    el.className = 'live ' + (ok ? 'on' : 'off');
    el.textContent = ok ? 'Live' : 'Offline';
    var err = document.getElementById('poll-error');
    err.hidden = ok;
    err.textContent = ok ? '' : message;
  }

  /** One poll (js/poll.js): false when signed out, which stops polling. */
  function refresh() {
    var at = Date.now();
    return Promise.all([
      get(urls.history + '?since=' + lastMillis),
      get(urls.status),
      get(urls.counters),
      get(urls.dns).catch(function () { return null; })
    ]).then(function (r) {
      append(r[0]);
      showStatus(r[1]);
      showCounters(r[2], at);
      showDns(r[3]);
      showPool4();
      redraw(false);
      state(true);
      return true;
    }).catch(function (e) {
      state(false, e.message || String(e));
      return e.fatal !== true;
    });
  }

  var range = document.getElementById('range');
  range.hidden = false;
  range.addEventListener('click', function (ev) {
    var b = ev.target.closest('button[data-minutes]');
    if (!b) {
      return;
    }
    windowSeconds = Number(b.getAttribute('data-minutes')) * 60;
    range.querySelectorAll('button').forEach(function (x) { x.setAttribute('aria-pressed', String(x === b)); });
    redraw(false);
  });

  if (window.matchMedia) {
    var dark = window.matchMedia('(prefers-color-scheme: dark)');
    var retheme = function () { redraw(true); };
    if (dark.addEventListener) {
      dark.addEventListener('change', retheme);
    } else if (dark.addListener) {
      dark.addListener(retheme);
    }
  }

  if (window.ResizeObserver) {
    var ro = new ResizeObserver(function () {
      CHARTS.forEach(function (def) {
        if (def.plot && def.el.clientWidth > 0 && Math.abs(def.plot.width - def.el.clientWidth) > 1) {
          def.plot.setSize({ width: def.el.clientWidth, height: 200 });
        }
      });
    });
    ro.observe(root);
  }

  createCards();
  get(urls.descriptions).catch(function () { return {}; }).then(function (d) {
    descriptions = d || {};
    window.xlatbox.poll(refresh, PERIOD);
  });
})();
