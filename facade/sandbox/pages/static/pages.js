// banklink sandbox pages: posts Connect's messages to the front end's
// origin (never "*"), takes no messages from any window, and follows the
// return to the application. Everything else is plain HTML forms.
(function () {
  "use strict";
  var body = document.body;
  var origin = body.getAttribute("data-origin") || "";
  var framed = window.parent !== window;
  function post(msg) {
    if (framed && origin) {
      window.parent.postMessage(msg, origin);
    }
  }
  var raw = body.getAttribute("data-messages");
  if (raw) {
    var msgs = [];
    try { msgs = JSON.parse(raw); } catch (e) { msgs = []; }
    for (var i = 0; i < msgs.length; i++) {
      post(msgs[i]);
    }
  }
  var oauth = document.getElementById("oauth-continue");
  if (oauth) {
    oauth.addEventListener("click", function () {
      post({ type: "link.close_oauth" });
    });
  }
  var next = body.getAttribute("data-navigate");
  if (next && /^https?:\/\//i.test(next)) {
    window.location.replace(next);
  }
})();
