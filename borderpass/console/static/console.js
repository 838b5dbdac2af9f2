// BorderPass console: keyboard shortcuts, self-refreshing lists that never replace a field
// being edited, and the on-page document viewer. Plain JS, no build step.
"use strict";
(function () {
  // --- Lists that refresh themselves: <div data-refresh="/console/…part" data-every="20">.
  // A field the user is editing (focused, or changed and not yet sent) is carried over into
  // the new list with its value, caret and focus; if its row is gone, the refresh waits.
  function fieldKey(el) {
    var form = el.form;
    return (form ? form.getAttribute("action") || "" : "") + "|" + el.name;
  }
  function editing(box) {
    var found = [];
    box.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit") { return; }
      var changed = el.tagName === "SELECT"
        ? Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; })
        : el.value !== el.defaultValue;
      if (changed || el === document.activeElement) { found.push(el); }
    });
    return found;
  }
  function swapIn(box, html) {
    var kept = editing(box);
    var next = document.createElement("div");
    next.innerHTML = html;  // server-rendered and escaped, same origin
    var places = [];
    for (var i = 0; i < kept.length; i++) {
      var key = fieldKey(kept[i]);
      var target = null;
      next.querySelectorAll("input, select, textarea").forEach(function (el) {
        if (!target && el.name && fieldKey(el) === key) { target = el; }
      });
      if (!target) { return false; }  // the row being edited is gone: keep the list as it is
      places.push([kept[i], target]);
    }
    var focused = document.activeElement;
    var caret = null;
    if (focused && kept.indexOf(focused) >= 0 && typeof focused.selectionStart === "number") {
      caret = [focused.selectionStart, focused.selectionEnd];
    }
    // Move the edited elements themselves into the new list (value, caret, IME state kept).
    places.forEach(function (pair) { pair[1].replaceWith(pair[0]); });
    var keepIndex = currentIndex();
    while (box.firstChild) { box.removeChild(box.firstChild); }
    while (next.firstChild) { box.appendChild(next.firstChild); }
    if (focused && kept.indexOf(focused) >= 0 && document.activeElement !== focused) {
      focused.focus();
      if (caret) { try { focused.setSelectionRange(caret[0], caret[1]); } catch (e) { /* select */ } }
    }
    highlight(keepIndex);
    return true;
  }
  function refresh(box) {
    return fetch(box.dataset.refresh, { credentials: "same-origin" }).then(function (r) {
      var type = r.headers.get("content-type") || "";
      if (r.ok && type.indexOf("text/html") === 0) { return r.text(); }
      throw new Error("refresh failed");
    }).then(function (html) {
      var done = swapIn(box, html);
      box.dataset.refreshed = done ? "1" : "held";
      return done;
    }).catch(function () { return false; /* keep the last list */ });
  }
  document.querySelectorAll("[data-refresh]").forEach(function (box) {
    var every = Math.max(5, parseInt(box.dataset.every || "30", 10)) * 1000;
    setInterval(function () { if (!document.hidden) { refresh(box); } }, every);
  });
  // For tests and for a "refresh now" without waiting: BorderPassConsole.refresh("#lifts").
  window.BorderPassConsole = {
    refresh: function (selector) { var box = document.querySelector(selector); return box ? refresh(box) : Promise.resolve(false); }
  };

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table[data-rows] tbody tr")); }
  function currentIndex() { return rows().findIndex(function (r) { return r.classList.contains("current"); }); }
  function highlight(i) {
    var all = rows();
    all.forEach(function (r) { r.classList.remove("current"); });
    if (all.length === 0) { return; }
    i = Math.max(0, Math.min(all.length - 1, i < 0 ? 0 : i));
    all[i].classList.add("current");
    all[i].scrollIntoView({ block: "nearest" });
  }

  // --- Return reasons: the ⚑ button next to a field fills the next empty reason row.
  function nextEmptyRow() {
    var selects = document.querySelectorAll("#return-form select[name^=field_]");
    for (var i = 0; i < selects.length; i++) { if (!selects[i].value) { return selects[i]; } }
    return addRow();
  }
  function addRow() {
    var form = document.getElementById("return-form");
    if (!form) { return null; }
    var all = form.querySelectorAll(".reason");
    if (all.length >= 20) { return null; }
    var copy = all[all.length - 1].cloneNode(true);
    var n = all.length;
    copy.querySelectorAll("select, input").forEach(function (el) {
      el.name = el.name.replace(/_\d+$/, "_" + n);
      if (el.tagName === "INPUT") { el.value = ""; } else if (el.name.indexOf("field_") === 0) { el.value = ""; }
    });
    all[all.length - 1].after(copy);
    return copy.querySelector("select[name^=field_]");
  }
  var add = document.getElementById("add-reason");
  if (add) { add.addEventListener("click", function () { var s = addRow(); if (s) { s.focus(); } }); }
  document.querySelectorAll("button.flag[data-field]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var select = nextEmptyRow();
      if (!select) { return; }
      select.value = btn.dataset.field;
      var message = select.parentNode.querySelector("input[name^=message_]");
      (message || select).focus();
    });
  });

  // --- The document viewer: thumbnails open on the page, zoom and rotate, ‹ › between them.
  var viewer = document.getElementById("viewer");
  var links = Array.prototype.slice.call(document.querySelectorAll("a[data-viewer]"));
  var state = { index: 0, zoom: 1, turn: 0 };
  function paint() {
    var img = viewer.querySelector(".viewer-stage img");
    img.style.transform = "rotate(" + state.turn + "deg) scale(" + state.zoom + ")";
    viewer.dataset.zoom = String(state.zoom);
    viewer.dataset.turn = String(((state.turn % 360) + 360) % 360);
  }
  function show(i) {
    state.index = (i + links.length) % links.length;
    state.zoom = 1;
    state.turn = 0;
    var link = links[state.index];
    var thumb = link.querySelector("img");
    var img = viewer.querySelector(".viewer-stage img");
    img.src = link.getAttribute("href");
    img.alt = thumb ? thumb.alt : "";
    viewer.querySelector(".viewer-title").textContent = img.alt;
    viewer.hidden = false;
    document.body.classList.add("viewing");
    paint();
    viewer.querySelector("[data-act=close]").focus();
  }
  function closeViewer() {
    viewer.hidden = true;
    document.body.classList.remove("viewing");
    var link = links[state.index];
    if (link) { link.focus(); }
  }
  function act(name) {
    if (name === "zoom-in") { state.zoom = Math.min(8, state.zoom * 1.25); }
    else if (name === "zoom-out") { state.zoom = Math.max(0.25, state.zoom / 1.25); }
    else if (name === "fit") { state.zoom = 1; state.turn = 0; }
    else if (name === "rotate-left") { state.turn -= 90; }
    else if (name === "rotate-right") { state.turn += 90; }
    else if (name === "prev") { show(state.index - 1); return; }
    else if (name === "next") { show(state.index + 1); return; }
    else if (name === "close") { closeViewer(); return; }
    paint();
  }
  if (viewer && links.length) {
    links.forEach(function (link, i) {
      link.addEventListener("click", function (e) { e.preventDefault(); show(i); });
    });
    viewer.querySelectorAll("button[data-act]").forEach(function (b) {
      b.addEventListener("click", function () { act(b.dataset.act); });
    });
    viewer.querySelector(".viewer-stage").addEventListener("wheel", function (e) {
      e.preventDefault();
      act(e.deltaY < 0 ? "zoom-in" : "zoom-out");
    }, { passive: false });
  }
  function viewerKey(e) {
    var map = { "escape": "close", "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", "0": "fit",
                "r": "rotate-right", "l": "rotate-left", "arrowleft": "prev", "arrowright": "next" };
    var name = map[e.key.toLowerCase()];
    if (name) { act(name); e.preventDefault(); }
  }

  // --- Shortcuts: J/K move, Enter opens, A approve, R the first reason, N skip, Q back.
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (viewer && !viewer.hidden) { viewerKey(e); return; }
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) {
      if (e.key === "Escape") { t.blur(); }
      return;
    }
    var key = e.key.toLowerCase();
    if (key === "j" || key === "k") { highlight(currentIndex() + (key === "j" ? 1 : -1)); e.preventDefault(); }
    else if (key === "enter" && rows().length && !(t && (t.tagName === "BUTTON" || t.tagName === "A"))) {
      var row = rows()[Math.max(0, currentIndex())];
      var link = row && row.querySelector("a.open");
      if (link) { window.location.href = link.href; e.preventDefault(); }
    }
    else if (key === "a") { var ok = document.querySelector("#approve-form button"); if (ok) { ok.focus(); e.preventDefault(); } }
    else if (key === "r") { var first = document.querySelector("#return-form select"); if (first) { first.focus(); e.preventDefault(); } }
    else if (key === "n") { var skip = document.querySelector("#skip-form"); if (skip) { skip.submit(); e.preventDefault(); } }
    else if (key === "q") { var back = document.getElementById("back"); if (back) { window.location.href = back.href; } }
  });
  if (rows().length) { highlight(0); }
})();
