// The message pages' enhancements (views/messages). Every page works without them: the log is a
// plain table with a GET form, the send form posts multipart and the server checks everything.
// With them: a new message's row is prepended once (the stream may announce it again after a
// reconnect), the send form shows the file chosen before it is sent, refuses a file larger than the
// plan allows without uploading it, sets the file picker's types by the chosen tab, and lets htmx
// swap in the form that came back with 413 or 415 (htmx only swaps 422 by default). Delegated from
// document so content htmx swaps in keeps working. No dependencies.
(function () {
  "use strict";

  var rowID = /id="(message-row-[0-9a-f-]+)"/;

  // A row already on the page is not added again; a new one is marked so that it stands out.
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var msg = event.detail;
    if (!msg || msg.type !== "message-new") {
      return;
    }
    var m = rowID.exec(msg.data || "");
    if (!m || document.getElementById(m[1])) {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:sseMessage", function (event) {
    var msg = event.detail;
    if (!msg || msg.type !== "message-new") {
      return;
    }
    var m = rowID.exec(msg.data || "");
    var row = m && document.getElementById(m[1]);
    if (row) {
      row.classList.add("is-fresh");
    }
  });

  // The send form comes back with the file's error in place for a file too large (413) or of a
  // type WhatsApp does not take (415), as for 422.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var d = event.detail;
    // Only our own answer, with the form in it: a proxy's or the server's bare 413 must not replace it.
    var ours = typeof d.serverResponse === "string" && d.serverResponse.indexOf('id="message-form"') >= 0;
    if (d.target && d.target.id === "message-form" && (d.xhr.status === 413 || d.xhr.status === 415) && ours) {
      d.shouldSwap = true;
      d.isError = false;
    }
  });

  function formOf(el) {
    return el && el.closest ? el.closest("form.wg-send") : null;
  }

  function sizeLabel(n) {
    var units = ["B", "KB", "MB", "GB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return (i === 0 ? String(n) : n.toFixed(1).replace(/\.0$/, "")) + " " + units[i];
  }

  function clientError(form, text) {
    var p = form.querySelector("[data-file-client-error]");
    if (!p) {
      return;
    }
    p.textContent = text || "";
    p.hidden = !text;
    var drop = form.querySelector(".wg-drop");
    if (drop) {
      drop.classList.toggle("is-danger", !!text);
    }
  }

  function tooLarge(form, file) {
    var max = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    return max > 0 && file && file.size > max;
  }

  // preview shows the chosen file: the picture, a player, or its name and size.
  function preview(input) {
    var form = formOf(input);
    if (!form) {
      return;
    }
    var box = form.querySelector("[data-preview]");
    var label = form.querySelector("[data-file-label]");
    var file = input.files && input.files[0];
    if (box && box._wgURL) {
      URL.revokeObjectURL(box._wgURL);
      box._wgURL = null;
    }
    if (box) {
      box.textContent = "";
      box.hidden = !file;
    }
    if (label) {
      label.textContent = file ? file.name : "Choose a file";
    }
    if (!file) {
      clientError(form, "");
      return;
    }
    if (tooLarge(form, file)) {
      clientError(form, "This file is " + sizeLabel(file.size) + ", more than your plan allows for one file (" +
        sizeLabel(parseInt(form.getAttribute("data-max-bytes"), 10)) + ").");
    } else {
      clientError(form, "");
    }
    if (!box) {
      return;
    }
    var type = file.type || "";
    var media = null;
    if (/^image\//.test(type)) {
      media = document.createElement("img");
      media.alt = "Preview of " + file.name;
    } else if (/^video\//.test(type)) {
      media = document.createElement("video");
      media.controls = true;
      media.muted = true;
    } else if (/^audio\//.test(type)) {
      media = document.createElement("audio");
      media.controls = true;
    }
    if (media) {
      box._wgURL = URL.createObjectURL(file);
      media.src = box._wgURL;
      media.className = "wg-preview__media";
      media.setAttribute("data-testid", "send-preview-media");
      box.appendChild(media);
    }
    var info = document.createElement("p");
    info.className = "wg-preview__info";
    var name = document.createElement("strong");
    name.textContent = file.name;
    info.appendChild(name);
    info.appendChild(document.createTextNode(" · " + sizeLabel(file.size) + (type ? " · " + type : "")));
    box.appendChild(info);
  }

  document.addEventListener("change", function (event) {
    var t = event.target;
    if (!(t instanceof HTMLInputElement) || !formOf(t)) {
      return;
    }
    if (t.type === "file" && t.name === "file") {
      preview(t);
    } else if (t.type === "radio" && t.name === "kind") {
      var file = formOf(t).querySelector("input[type=file][name=file]");
      if (file) {
        file.setAttribute("accept", t.getAttribute("data-accept") || "");
      }
    }
  });

  // A file larger than the plan allows is not uploaded only to be refused. Capture phase: stopping
  // here keeps the event from htmx's own submit handler on the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("wg-send")) {
      return;
    }
    var kind = form.querySelector("input[name=kind]:checked");
    var input = form.querySelector("input[type=file][name=file]");
    var file = input && input.files && input.files[0];
    var media = kind && /^(image|video|audio|document)$/.test(kind.value);
    if (media && tooLarge(form, file)) {
      event.preventDefault();
      event.stopPropagation();
      input.focus();
    }
  }, true);
})();
