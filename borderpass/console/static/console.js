// BorderPass console: keyboard shortcuts and self-refreshing lists. Plain JS, no build step.
"use strict";
(function () {
  // Lists that refresh themselves: <div data-refresh="/console/…part" data-every="20">.
  document.querySelectorAll("[data-refresh]").forEach(function (box) {
    var every = Math.max(5, parseInt(box.dataset.every || "30", 10)) * 1000;
    setInterval(function () {
      if (document.hidden) { return; }
      fetch(box.dataset.refresh, { credentials: "same-origin" }).then(function (r) {
        if (r.ok && r.headers.get("content-type").indexOf("text/html") === 0) { return r.text(); }
        throw new Error("refresh failed");
      }).then(function (html) {
        var keep = currentIndex();
        box.innerHTML = html;  // server-rendered and escaped, same origin
        highlight(keep);
      }).catch(function () { /* keep the last list */ });
    }, every);
  });

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

  // Return reasons: the ⚑ button next to a field fills the next empty reason row.
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

  // Shortcuts: J/K move, Enter opens, A focuses "approve", R the first reason, Q back.
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) {
      if (e.key === "Escape") { t.blur(); }
      return;
    }
    var key = e.key.toLowerCase();
    if (key === "j" || key === "k") { highlight(currentIndex() + (key === "j" ? 1 : -1)); e.preventDefault(); }
    else if (key === "enter" && rows().length && !(t && t.tagName === "BUTTON")) {
      var row = rows()[Math.max(0, currentIndex())];
      var link = row && row.querySelector("a.open");
      if (link) { window.location.href = link.href; e.preventDefault(); }
    }
    else if (key === "a") { var ok = document.querySelector("#approve-form button"); if (ok) { ok.focus(); e.preventDefault(); } }
    else if (key === "r") { var first = document.querySelector("#return-form select"); if (first) { first.focus(); e.preventDefault(); } }
    else if (key === "q") { var back = document.getElementById("back"); if (back) { window.location.href = back.href; } }
  });
  if (rows().length) { highlight(0); }
})();
