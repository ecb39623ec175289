// akte: uploads on the case page by drag and drop or file choice, with a
// progress bar. Without this script the page still works for reading.
"use strict";
(function () {
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var zone = document.getElementById("drop-zone");
  var input = document.getElementById("upload-file");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var max = Number(form.getAttribute("data-max")) || 0;

  function say(text) { status.textContent = text; }

  function send(file) {
    if (!file) { say("Bitte eine Datei auswählen."); return; }
    if (max && file.size > max) { say("Die Datei ist zu groß."); return; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
    xhr.setRequestHeader("X-Filename", encodeURIComponent(file.name));
    xhr.setRequestHeader("X-Title", encodeURIComponent(document.getElementById("upload-title").value));
    xhr.setRequestHeader("X-Document-Type", encodeURIComponent(document.getElementById("upload-type").value));
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        var pct = Math.round(e.loaded * 100 / e.total);
        bar.value = pct;
        bar.textContent = pct + " %";
      }
    };
    xhr.onload = function () {
      var answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = {}; }
      if (xhr.responseURL && xhr.responseURL.indexOf("/login") !== -1) {
        say("Nicht gespeichert: Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an.");
      } else if (xhr.status === 201) {
        bar.value = 100;
        say("Gespeichert: " + (answer.title || file.name) + ". Die Seite wird neu geladen.");
        window.setTimeout(function () { window.location.reload(); }, 800);
      } else {
        say("Nicht gespeichert: " + (answer.error || ("Fehler " + xhr.status)));
      }
    };
    xhr.onerror = function () { say("Die Verbindung ist abgebrochen; nichts wurde gespeichert."); };
    bar.value = 0;
    say("Wird hochgeladen …");
    xhr.send(file);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    send(input.files[0]);
  });
  zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) { send(e.dataTransfer.files[0]); }
  });
}());
