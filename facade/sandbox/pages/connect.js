// MoneyKit Connect launcher for the banklink sandbox: the interface of
// MoneyKit's web launcher (@moneykit/connect), pointed at the sandbox this
// script was loaded from. Load it from {MONEYKIT_BASE_URL}/connect/connect.js:
//
//   const mk = new MoneyKit();
//   mk.link(linkSessionToken, onSuccess, onExit, onEvent);
//   mk.continue(location.href, onSuccess, onExit, onEvent); // after OAuth
//   mk.relink(linkSessionToken, onSuccess, onExit, onEvent);
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(".", script.src).href; // …/moneykit/connect/
  var connectOrigin = new URL(base).origin;
  var tokenKey = "moneykit.linkSessionToken";

  function MoneyKit(options) {
    this.options = options || {};
  }

  function launch(mk, path, params, handlers) {
    params.origin = window.location.origin;
    if (mk.options.applicationName) {
      params.applicationName = mk.options.applicationName;
    }
    var query = new URLSearchParams(params).toString();
    var overlay = document.createElement("div");
    overlay.setAttribute("data-moneykit-connect", "");
    var s = overlay.style;
    s.position = "fixed"; s.inset = "0"; s.zIndex = "2147483647";
    s.background = "rgba(15, 23, 42, 0.55)"; s.display = "flex";
    s.alignItems = "center"; s.justifyContent = "center";
    var frame = document.createElement("iframe");
    frame.title = "MoneyKit Connect";
    frame.src = base + path + "?" + query;
    var fs = frame.style;
    fs.width = "min(30rem, 100vw)"; fs.height = "min(44rem, 100vh)";
    fs.border = "0"; fs.borderRadius = "12px"; fs.background = "#fff";
    overlay.appendChild(frame);
    var parent = (mk.options.containerID && document.getElementById(mk.options.containerID)) || document.body;
    parent.appendChild(overlay);
    frame.focus();

    function close() {
      window.removeEventListener("message", onMessage);
      if (overlay.parentNode) {
        overlay.parentNode.removeChild(overlay);
      }
    }
    function onMessage(e) {
      // Only Connect's own frame is heard.
      if (e.origin !== connectOrigin || e.source !== frame.contentWindow) {
        return;
      }
      var m = e.data || {};
      switch (m.type) {
        case "connect.started":
          if (handlers.onEvent) { handlers.onEvent({ name: "connect.started" }); }
          break;
        case "link.event":
          if (handlers.onEvent) { handlers.onEvent(m.event || {}); }
          break;
        case "link.complete":
          close();
          window.localStorage.removeItem(tokenKey);
          if (handlers.onSuccess) { handlers.onSuccess(m.exchangeableToken, m.institution); }
          break;
        case "relink.complete":
          close();
          window.localStorage.removeItem(tokenKey);
          if (handlers.onSuccess) { handlers.onSuccess(m.institution); }
          break;
        case "link.exit":
          close();
          if (handlers.onExit) { handlers.onExit(m.error || null); }
          break;
        case "link.close_oauth":
          // The user leaves for the bank's page at the top level; the
          // overlay goes, and continue() reopens Connect on the return.
          close();
          break;
      }
    }
    window.addEventListener("message", onMessage);
  }

  MoneyKit.prototype.link = function (linkSessionToken, onSuccess, onExit, onEvent) {
    window.localStorage.setItem(tokenKey, linkSessionToken);
    launch(this, "start", { linkSessionToken: linkSessionToken }, { onSuccess: onSuccess, onExit: onExit, onEvent: onEvent });
  };

  MoneyKit.prototype.relink = function (linkSessionToken, onSuccess, onExit, onEvent) {
    window.localStorage.setItem(tokenKey, linkSessionToken);
    launch(this, "relink", { linkSessionToken: linkSessionToken }, { onSuccess: onSuccess, onExit: onExit, onEvent: onEvent });
  };

  MoneyKit.prototype["continue"] = function (redirectURL, onSuccess, onExit, onEvent) {
    var token = window.localStorage.getItem(tokenKey) || "";
    launch(this, "continue", { linkSessionToken: token, redirectURL: redirectURL }, { onSuccess: onSuccess, onExit: onExit, onEvent: onEvent });
  };

  window.MoneyKit = MoneyKit;
})();
