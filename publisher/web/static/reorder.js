// Reordering the Queue page by dragging a row by its handle (drag_reorder.js), over the
// Move up / Move down buttons: a drop sends the form those buttons send, to the same route
// (action "move", with the row it was dropped before or after) with the page's CSRF token.
(function () {
  "use strict";
  var table = document.querySelector("table.queue[data-reorder]");
  if (!table || !window.PointerEvent || !window.publisherDragReorder) { return; }
  var body = table.tBodies[0];

  function rows() { return Array.prototype.slice.call(body.rows); }

  window.publisherDragReorder({
    items: rows,
    hint: table.getAttribute("data-drag-hint"),
    handleHost: function (row) { return row.hasAttribute("data-move") ? row.cells[0] : null; },
    dropAt: function (event) {
      var found = null;
      rows().forEach(function (row) {
        var box = row.getBoundingClientRect();
        if (event.clientY >= box.top && event.clientY < box.bottom) {
          found = {item: row, after: event.clientY > box.top + box.height / 2};
        }
      });
      return found;
    },
    send: function (row, next, after) {
      window.publisherDragReorder.submit(row.getAttribute("data-move"), [
        ["csrftoken", table.getAttribute("data-csrf")],
        ["shown", "active"],
        ["page", table.getAttribute("data-page")],
        [after ? "after" : "before", next.id.replace("interview-", "")]]);
    }
  });
}());
