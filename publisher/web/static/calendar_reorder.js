// Reordering the queue from the Calendar page: an interview dragged by its handle (mouse,
// pen or touch) onto another interview's slot takes its place in the queue order — after
// it when that slot is later, before it when earlier. A drop sends the form the Move up /
// Move down buttons send, to the same route (action "move", with the interview it was
// dropped on) with the page's CSRF token, and comes back to this page; the buttons stay
// the way by keyboard. Without this script the page has no handles and works the same.
(function () {
  "use strict";
  var board = document.querySelector("[data-reorder-calendar]");
  if (!board || !window.PointerEvent) { return; }
  var dragged = null;
  var target = null;
  var startX = 0;
  var startY = 0;
  var moved = false;

  function slots() {
    return Array.prototype.slice.call(board.querySelectorAll("li.slot[data-interview]"));
  }

  function slotAt(x, y) {
    var found = null;
    slots().forEach(function (slot) {
      var box = slot.getBoundingClientRect();
      if (x >= box.left && x < box.right && y >= box.top && y < box.bottom) { found = slot; }
    });
    return found;
  }

  function unmark() {
    slots().forEach(function (slot) { slot.classList.remove("drop-before", "drop-after"); });
  }

  function later(slot) {  // the page lists the slots in time order
    var all = slots();
    return all.indexOf(slot) > all.indexOf(dragged);
  }

  function field(form, name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }

  function send(slot, onto) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = slot.getAttribute("data-move");
    field(form, "csrftoken", board.getAttribute("data-csrf"));
    field(form, "next", board.getAttribute("data-next"));
    field(form, later(onto) ? "after" : "before", onto.getAttribute("data-interview"));
    form.hidden = true;
    document.body.appendChild(form);
    form.submit();
  }

  function onMove(event) {
    if (!moved && Math.abs(event.clientX - startX) + Math.abs(event.clientY - startY) < 4) {
      return;
    }
    moved = true;
    dragged.classList.add("dragging");
    unmark();
    var over = slotAt(event.clientX, event.clientY);
    if (!over || over === dragged) { target = null; return; }
    target = over;
    over.classList.add(later(over) ? "drop-after" : "drop-before");
  }

  function stop(handle) {
    handle.removeEventListener("pointermove", onMove);
    handle.removeEventListener("pointerup", onUp);
    handle.removeEventListener("pointercancel", onCancel);
    unmark();
    if (dragged) { dragged.classList.remove("dragging"); }
  }

  function onUp(event) {
    var slot = dragged;
    stop(event.currentTarget);
    if (moved && target && slot) { send(slot, target); }
    dragged = target = null;
  }

  function onCancel(event) {
    stop(event.currentTarget);
    dragged = target = null;
  }

  slots().forEach(function (slot) {
    var handle = document.createElement("span");
    handle.className = "drag-handle";
    handle.setAttribute("aria-hidden", "true");
    handle.title = board.getAttribute("data-drag-hint") || "";
    handle.textContent = "\u283F";
    slot.insertBefore(handle, slot.firstChild);
    handle.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      event.preventDefault();
      dragged = slot;
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
}());
