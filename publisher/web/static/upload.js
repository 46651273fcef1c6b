// The upload's progress bar, for forms marked data-upload-progress. Without this script
// (or without XMLHttpRequest) the form is sent as a plain form: it works the same.
(function () {
  "use strict";
  function attach() {
  document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var files = Array.prototype.some.call(
        form.querySelectorAll("input[type=file]"),
        function (input) { return input.files && input.files.length > 0; });
      if (!files || !window.XMLHttpRequest || !window.FormData) {
        return;  // nothing to show progress for: the plain submission
      }
      event.preventDefault();
      var box = form.querySelector(".upload-progress");
      var bar = form.querySelector("progress");
      var button = form.querySelector("button[type=submit]");
      if (box) { box.hidden = false; }
      if (button) { button.disabled = true; }
      var request = new XMLHttpRequest();
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable && bar) { bar.value = Math.round(100 * e.loaded / e.total); }
      });
      request.addEventListener("load", function () {
        // Show the page the server answered with (the interview, or the form and its
        // problems), at its own address.
        var page = new DOMParser().parseFromString(request.responseText, "text/html");
        if (request.responseURL) { window.history.replaceState(null, "", request.responseURL); }
        document.replaceChild(document.adoptNode(page.documentElement),
                              document.documentElement);
        window.scrollTo(0, 0);
        attach();  // a page put in place this way runs no script: its form needs us again
      });
      request.addEventListener("error", function () {
        if (box) { box.hidden = true; }
        if (button) { button.disabled = false; }
        form.submit();  // the network failed: try the plain way, which reports its own error
      });
      request.open("POST", form.action);
      request.send(new FormData(form));
    });
  });
  }
  attach();
}());
