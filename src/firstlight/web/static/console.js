// Keyboard shortcuts for the review console. Keys never fire while typing in a field.
(function () {
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-row]"));
    if (rows.length) {
      var i = rows.indexOf(document.activeElement);
      if (e.key === "j" || e.key === "k") {
        var next = e.key === "j" ? Math.min(i + 1, rows.length - 1) : Math.max(i - 1, 0);
        rows[i < 0 ? 0 : next].focus();
        e.preventDefault();
        return;
      }
      if (e.key === "Enter" && i >= 0) { window.location = rows[i].dataset.href; return; }
      if (e.key === "c" && i >= 0) { rows[i].querySelector("[data-claim]").click(); return; }
    }
    var button = document.querySelector('[data-key="' + e.key + '"]');
    if (button) {
      var form = button.form;
      if (form && !form.reportValidity()) return;
      e.preventDefault();
      button.click();
    }
  });
})();
