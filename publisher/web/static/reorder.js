// Reordering the Queue page by dragging a row by its handle (mouse, pen or touch), over
// the Move up / Move down buttons, which stay the way by keyboard. A drop sends the form
// those buttons send, to the same route (action "move", with the row it was dropped
// before or after) with the page's CSRF token; the answer is the page again, as after a
// button. Without this script the page has no handles and works the same.
(function () {
  "use strict";
  var table = document.querySelector("table.queue[data-reorder]");
  if (!table || !window.PointerEvent) { return; }
  var body = table.tBodies[0];
  var dragged = null;
  var target = null;
  var after = false;
  var startY = 0;
  var moved = false;

  function rows() { return Array.prototype.slice.call(body.rows); }

  function rowAt(y) {
    var found = null;
    rows().forEach(function (row) {
      var box = row.getBoundingClientRect();
      if (y >= box.top && y < box.bottom) { found = row; }
    });
    return found;
  }

  function unmark() {
    rows().forEach(function (row) { row.classList.remove("drop-before", "drop-after"); });
  }

  function field(form, name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }

  function send(row, next, isAfter) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = row.getAttribute("data-move");
    field(form, "csrftoken", table.getAttribute("data-csrf"));
    field(form, "shown", "active");
    field(form, "page", table.getAttribute("data-page"));
    field(form, isAfter ? "after" : "before", next.id.replace("interview-", ""));
    form.hidden = true;
    document.body.appendChild(form);
    form.submit();
  }

  function onMove(event) {
    if (!moved && Math.abs(event.clientY - startY) < 4) { return; }
    moved = true;
    dragged.classList.add("dragging");
    unmark();
    var over = rowAt(event.clientY);
    if (!over || over === dragged) { target = null; return; }
    var box = over.getBoundingClientRect();
    after = event.clientY > box.top + box.height / 2;
    target = over;
    over.classList.add(after ? "drop-after" : "drop-before");
  }

  function stop(handle) {
    handle.removeEventListener("pointermove", onMove);
    handle.removeEventListener("pointerup", onUp);
    handle.removeEventListener("pointercancel", onCancel);
    unmark();
    if (dragged) { dragged.classList.remove("dragging"); }
  }

  function onUp(event) {
    var row = dragged;
    stop(event.currentTarget);
    if (moved && target && row) { send(row, target, after); }
    dragged = target = null;
  }

  function onCancel(event) {
    stop(event.currentTarget);
    dragged = target = null;
  }

  rows().forEach(function (row) {
    if (!row.hasAttribute("data-move")) { return; }
    var handle = document.createElement("span");
    handle.className = "drag-handle";
    handle.setAttribute("aria-hidden", "true");
    handle.title = table.getAttribute("data-drag-hint") || "";
    handle.textContent = "\u283F";
    row.cells[0].insertBefore(handle, row.cells[0].firstChild);
    handle.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      event.preventDefault();
      dragged = row;
      target = null;
      moved = false;
      startY = event.clientY;
      handle.setPointerCapture(event.pointerId);
      handle.addEventListener("pointermove", onMove);
      handle.addEventListener("pointerup", onUp);
      handle.addEventListener("pointercancel", onCancel);
    });
  });
}());
