/*
 * xlatbox live pages: the polling they share. xlatbox.poll(refresh, period) calls refresh() now and then every
 * period ms, one call at a time (a slow answer delays the next one instead of piling up), and not while the page
 * is hidden: it pauses when the page is hidden and refreshes at once when it is shown again. refresh() returns a
 * promise that does not reject; when it resolves to false (e.g. signed out), polling stops for good.
 */
(function () {
  'use strict';
  window.xlatbox = window.xlatbox || {};

  window.xlatbox.poll = function (refresh, period) {
    var timer = null;
    var busy = false;
    var stopped = false;

    function tick() {
      timer = null;
      if (busy) {
        return;
      }
      busy = true;
      refresh().then(function (more) {
        stopped = stopped || more === false;
        busy = false;
        schedule();
      });
    }

    function schedule() {
      if (!stopped && !document.hidden && timer === null) {
        timer = setTimeout(tick, period);
      }
    }

    document.addEventListener('visibilitychange', function () {
      if (document.hidden) {
        clearTimeout(timer);
        timer = null;
      } else if (timer === null && !stopped) {
        tick();
      }
    });
    tick();
  };
})();
