// Reordering the queue by dragging an item by its handle (mouse, pen or touch): the
// mechanics the Queue page (reorder.js) and the Calendar (calendar_reorder.js) share. Each
// page says which items it has, where a pointer drops (before or after which item) and what
// a drop sends; the Move up / Move down buttons stay the way by keyboard, and without these
// scripts a page has no handles and works the same.
window.publisherDragReorder = (function () {
  "use strict";

  function reorder(page) {
    var dragged = null;
    var target = null;
    var after = false;
    var startX = 0;
    var startY = 0;
    var moved = false;

    function unmark() {
      page.items().forEach(function (item) {
        item.classList.remove("drop-before", "drop-after");
      });
    }

    function onMove(event) {
      if (!moved && Math.abs(event.clientX - startX) + Math.abs(event.clientY - startY) < 4) {
        return;
      }
      moved = true;
      dragged.classList.add("dragging");
      unmark();
      var drop = page.dropAt(event, dragged);
      if (!drop || drop.item === dragged) { target = null; return; }
      target = drop.item;
      after = drop.after;
      target.classList.add(after ? "drop-after" : "drop-before");
    }

    function stop(handle) {
      handle.removeEventListener("pointermove", onMove);
      handle.removeEventListener("pointerup", onUp);
      handle.removeEventListener("pointercancel", onCancel);
      unmark();
      if (dragged) { dragged.classList.remove("dragging"); }
    }

    function onUp(event) {
      var item = dragged;
      stop(event.currentTarget);
      if (moved && target && item) { page.send(item, target, after); }
      dragged = target = null;
    }

    function onCancel(event) {
      stop(event.currentTarget);
      dragged = target = null;
    }

    page.items().forEach(function (item) {
      var host = page.handleHost(item);
      if (!host) { return; }
      var handle = document.createElement("span");
      handle.className = "drag-handle";
      handle.setAttribute("aria-hidden", "true");
      handle.title = page.hint || "";
      handle.textContent = "\u283F";
      host.insertBefore(handle, host.firstChild);
      handle.addEventListener("pointerdown", function (event) {
        if (event.button !== 0) { return; }
        event.preventDefault();
        dragged = item;
        target = null;
        moved = false;
        startX = event.clientX;
        startY = event.clientY;
        handle.setPointerCapture(event.pointerId);
        handle.addEventListener("pointermove", onMove);
        handle.addEventListener("pointerup", onUp);
        handle.addEventListener("pointercancel", onCancel);
      });
    });
  }

  // The form the Move buttons send (hidden fields, the page's CSRF token among them),
  // posted as if a button had been pressed: the answer is a page again.
  reorder.submit = function (action, fields) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = action;
    fields.forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      form.appendChild(input);
    });
    form.hidden = true;
    document.body.appendChild(form);
    form.submit();
  };

  return reorder;
}());
