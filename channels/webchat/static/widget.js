/* consultbot web chat: one <script src=".../webchat/widget.js" data-lang="en"> adds a
   launcher button and a chat panel. No dependencies; every text is set with textContent. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.consultbotWebchat) { return; }
  var root = new URL(script.src, location.href).href.replace(/\/webchat\/widget\.js.*$/, "");
  var api = root + "/webchat/api";
  var lang = script.getAttribute("data-lang") || document.documentElement.lang || "en";
  var strings = {}, seen = {}, lastId = 0, maxChars = 2000, source = null, polling = false;
  var started = false, sessionOpen = false, links = [];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function call(method, path, body) {
    var options = { method: method, credentials: "include", headers: {} };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      body.lang = lang;
      options.body = JSON.stringify(body);
    }
    var sep = path.indexOf("?") < 0 ? "?" : "&";
    return fetch(api + path + sep + "lang=" + encodeURIComponent(lang), options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { var e = new Error(data.error || "http " + r.status); e.data = data; throw e; }
        return data;
      });
    });
  }

  var link = el("link", { rel: "stylesheet", href: root + "/webchat/widget.css" });
  document.head.appendChild(link);
  var box = el("div", { "class": "cbw", lang: lang });
  var launcher = el("button", { type: "button", "class": "cbw-launcher", "aria-expanded": "false",
    "aria-controls": "cbw-panel" });
  var badge = el("span", { "class": "cbw-badge", "aria-hidden": "true", hidden: "" });
  var launcherText = el("span", {});
  var badgeText = el("span", { "class": "cbw-hidden" });
  launcher.appendChild(launcherText);
  launcher.appendChild(badge);
  launcher.appendChild(badgeText);
  var panel = el("section", { id: "cbw-panel", "class": "cbw-panel", role: "dialog",
    "aria-labelledby": "cbw-title", hidden: "" });
  var header = el("header", { "class": "cbw-header" });
  var title = el("h2", { id: "cbw-title" });
  var moreButton = el("button", { type: "button", "class": "cbw-more", "aria-expanded": "false",
    "aria-controls": "cbw-menu" }, "⋯");
  var closeButton = el("button", { type: "button", "class": "cbw-close" }, "×");
  header.appendChild(title);
  header.appendChild(moreButton);
  header.appendChild(closeButton);
  var menu = el("div", { id: "cbw-menu", "class": "cbw-menu", hidden: "" });
  var log = el("div", { "class": "cbw-log", role: "log", "aria-live": "polite",
    "aria-relevant": "additions", tabindex: "0" });
  var status = el("p", { "class": "cbw-status", role: "alert" });
  var form = el("form", { "class": "cbw-form" });
  var inputLabel = el("label", { "for": "cbw-input", "class": "cbw-hidden" });
  var input = el("textarea", { id: "cbw-input", rows: "1", autocomplete: "off" });
  var sendButton = el("button", { type: "submit", "class": "cbw-send" });
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(sendButton);
  [header, menu, log, status, form].forEach(function (n) { panel.appendChild(n); });
  box.appendChild(panel);
  box.appendChild(launcher);
  document.body.appendChild(box);

  function applyLanguage(data) {
    if (data.language) { lang = data.language; }
    if (data.strings) { strings = data.strings; }
    box.setAttribute("lang", lang);
    box.setAttribute("dir", data.dir || (lang === "ar" || lang === "fa" ? "rtl" : "ltr"));
    launcherText.textContent = strings.title || "Chat";
    launcher.setAttribute("title", strings.open || "");
    title.textContent = strings.title || "Chat";
    moreButton.setAttribute("aria-label", strings.more || "More options");
    closeButton.setAttribute("aria-label", strings.close || "Close");
    inputLabel.textContent = strings.input || "Message";
    input.setAttribute("placeholder", strings.placeholder || "");
    sendButton.textContent = strings.send || "Send";
    buildMenu(links);
  }

  function buildMenu(offered) {
    menu.textContent = "";
    offered.forEach(function (target) {
      var item = el("button", { type: "button" }, strings["continue_" + target]);
      item.addEventListener("click", function () {
        toggleMenu(false);
        call("POST", "/link", { to: target, id: newId() }).then(function (data) {
          (data.messages || []).forEach(show);
        }, fail);
      });
      menu.appendChild(item);
    });
    var code = el("button", { type: "button" }, strings.have_code);
    code.addEventListener("click", function () {
      toggleMenu(false);
      status.textContent = strings.code_prompt;
      input.focus();
    });
    menu.appendChild(code);
  }
  function toggleMenu(open) {
    menu.hidden = !open;
    moreButton.setAttribute("aria-expanded", String(open));
    if (open && menu.firstChild) { menu.firstChild.focus(); }
  }

  function para(text) {  // text, with web addresses as links (never parsed as HTML)
    var p = el("p", { dir: "auto" });
    text.split(/(https?:\/\/[^\s<>"]*[^\s<>".,;:!?)])/).forEach(function (part, i) {
      if (i % 2) { p.appendChild(el("a", { href: part, rel: "noopener noreferrer", target: "_blank" }, part)); }
      else if (part) { p.appendChild(document.createTextNode(part)); }
    });
    return p;
  }

  function show(message) {
    if (!message || seen[message.id]) { return; }
    seen[message.id] = true;
    lastId = Math.max(lastId, message.id);
    var item = el("div", { "class": "cbw-msg cbw-" + message.from });
    item.appendChild(el("span", { "class": "cbw-hidden" }, (message.from === "in" ? strings.you : strings.us) + ": "));
    if (message.text) { item.appendChild(para(message.text)); }
    if (message.kind === "choices") {
      Array.prototype.forEach.call(log.querySelectorAll(".cbw-choices button"), function (b) { b.disabled = true; });
      var group = el("div", { "class": "cbw-choices", role: "group" });
      if (message.text) { group.setAttribute("aria-label", message.text.split("\n")[0].slice(0, 120)); }
      message.choices.forEach(function (choice) {
        var button = el("button", { type: "button" }, choice.label);
        button.addEventListener("click", function () {
          send({ choice: { id: choice.id, token: message.token }, label: choice.label });
          input.focus();
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    } else if (message.kind === "document" || message.kind === "link") {
      var href = new URL(message.url, root + "/").href;
      if (/^https?:/.test(href)) {
        var anchor = el("a", { href: href, rel: "noopener noreferrer", target: "_blank" },
          message.kind === "link" ? message.label : (message.caption ? strings.download + ": " + message.filename : message.filename));
        if (message.kind === "document") {
          if (message.caption) { item.appendChild(para(message.caption)); }
          anchor.setAttribute("download", message.filename);
        }
        item.appendChild(anchor);
      }
    }
    if (message.unread) { item.classList.add("cbw-unread"); }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    if (!panel.hidden) { markRead(); } else if (message.unread) { setBadge(1); }
  }
  function setBadge(add) {
    var count = (parseInt(badge.textContent, 10) || 0) + add;
    badge.textContent = count ? String(count) : "";
    badge.hidden = !count;
    badgeText.textContent = count ? " – " + (strings["new"] || "") + ": " + count : "";
  }
  var readTimer = null;
  function markRead() {
    if (readTimer || !lastId) { return; }
    readTimer = setTimeout(function () {
      readTimer = null;
      call("POST", "/read", { up_to: lastId }).catch(function () {});
    }, 300);
  }
  function fail(error) {
    status.textContent = (error && error.data && error.data.text) || strings.failed || "Error";
  }

  function send(body, attempt) {
    body.id = body.id || newId();
    status.textContent = "";
    return call("POST", "/messages", body).then(function (data) {
      applyLanguage(data);
      (data.messages || []).forEach(show);
      if (!sessionOpen) { sessionOpen = true; listen(); }
    }, function (error) {
      if (!error.data && !attempt) { return send(body, 1); }  // the same id: handled once
      fail(error);
    });
  }

  function listen() {  // only while the panel is open: each stream holds a server thread
    if (panel.hidden || !sessionOpen || source || polling === "on") { return; }
    if (window.EventSource && !polling) {
      var errors = 0, opened = false;
      source = new EventSource(api + "/events?after=" + lastId, { withCredentials: true });
      source.onopen = function () { opened = true; errors = 0; };
      source.addEventListener("message", function (e) { show(JSON.parse(e.data)); });
      source.onerror = function () {
        errors += 1;
        if (!opened && errors >= 3) { stopListening(); polling = true; listen(); }
      };
    } else { polling = "on"; poll(); }
  }
  function stopListening() {
    if (source) { source.close(); source = null; }
    if (polling === "on") { polling = true; }
  }
  function poll() {
    if (polling !== "on") { return; }
    call("GET", "/poll?after=" + lastId).then(function (data) {
      (data.messages || []).forEach(show);
      poll();
    }, function () { setTimeout(poll, 5000); });
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    try { sessionStorage.setItem("cbw-open", "1"); } catch (e) { /* private mode */ }
    badge.textContent = "";
    badge.hidden = true;
    badgeText.textContent = "";
    input.focus();
    markRead();
    listen();
    if (!started && !lastId) { started = true; send({ text: "/start" }); }
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    try { sessionStorage.removeItem("cbw-open"); } catch (e) { /* private mode */ }
    stopListening();
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) { open(); } else { close(); } });
  closeButton.addEventListener("click", close);
  moreButton.addEventListener("click", function () { toggleMenu(menu.hidden); });
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { if (!menu.hidden) { toggleMenu(false); moreButton.focus(); } else { close(); } }
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    if (text.length > maxChars) { status.textContent = (strings.too_long || "").replace("{limit}", maxChars); return; }
    input.value = "";
    send({ text: text });
  });

  call("GET", "/session").then(function (data) {
    applyLanguage(data);
    maxChars = data.max_chars || maxChars;
    input.setAttribute("maxlength", String(maxChars));
    links = data.links || [];
    buildMenu(links);
    (data.messages || []).forEach(show);
    setBadge(0);
    if (data.unread) { badge.textContent = ""; setBadge(data.unread); }
    if (data.messages && data.messages.length) { sessionOpen = true; listen(); }
    var wasOpen = false;
    try { wasOpen = sessionStorage.getItem("cbw-open") === "1"; } catch (e) { /* private mode */ }
    if (wasOpen) { open(); }
  }, function () { applyLanguage({}); buildMenu([]); });
  window.consultbotWebchat = { open: open, close: close };
})();
