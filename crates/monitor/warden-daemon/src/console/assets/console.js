// Warden console: refresh the live part of the page every two seconds, unless the person is
// working inside it (a focused field or button), so answers are never yanked away mid-typing.
"use strict";
(function () {
  const live = document.querySelector("[data-live]");
  if (!live) return;
  async function refresh() {
    const active = document.activeElement;
    if (active && active !== document.body && live.contains(active)) return;
    const url = new URL(window.location.href);
    url.searchParams.delete("msg");
    url.searchParams.set("fragment", "1");
    try {
      const r = await fetch(url, { credentials: "same-origin", redirect: "manual" });
      if (r.status === 200) {
        const doc = new DOMParser().parseFromString("<body>" + (await r.text()) + "</body>", "text/html");
        live.replaceChildren(...doc.body.childNodes);
      } else if (r.type === "opaqueredirect" || r.status === 401) {
        window.location.assign("/console/login");
      }
    } catch (_) {
      // The monitor is restarting: try again on the next tick.
    }
  }
  window.setInterval(refresh, 2000);
})();

// The login link `warden console` prints carries the token in the fragment, which browsers never
// send to the server: put it in the form, wipe it from the address bar and history, and log in.
(function () {
  const field = document.getElementById("token");
  const hash = window.location.hash;
  if (!field || !hash.startsWith("#token=")) return;
  field.value = decodeURIComponent(hash.slice("#token=".length));
  window.history.replaceState(null, "", window.location.pathname);
  field.form.submit();
})();
