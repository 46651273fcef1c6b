// Reordering the queue from the Calendar page (drag_reorder.js): an interview dragged by
// its handle onto another interview's slot takes its place in the queue order — after it
// when that slot is later, before it when earlier. A drop sends the form the Move up /
// Move down buttons send, to the same route (action "move", with the interview it was
// dropped on) with the page's CSRF token, and comes back to this page.
(function () {
  "use strict";
  var board = document.querySelector("[data-reorder-calendar]");
  if (!board || !window.PointerEvent || !window.publisherDragReorder) { return; }

  function slots() {
    return Array.prototype.slice.call(board.querySelectorAll("li.slot[data-interview]"));
  }

  function later(slot, than) {  // the page lists the slots in time order
    var all = slots();
    return all.indexOf(slot) > all.indexOf(than);
  }

  window.publisherDragReorder({
    items: slots,
    hint: board.getAttribute("data-drag-hint"),
    handleHost: function (slot) { return slot; },
    dropAt: function (event, dragged) {
      var found = null;
      slots().forEach(function (slot) {
        var box = slot.getBoundingClientRect();
        if (event.clientX >= box.left && event.clientX < box.right &&
            event.clientY >= box.top && event.clientY < box.bottom) {
          found = {item: slot, after: later(slot, dragged)};
        }
      });
      return found;
    },
    send: function (slot, onto, after) {
      window.publisherDragReorder.submit(slot.getAttribute("data-move"), [
        ["csrftoken", board.getAttribute("data-csrf")],
        ["next", board.getAttribute("data-next")],
        [after ? "after" : "before", onto.getAttribute("data-interview")]]);
    }
  });
}());
