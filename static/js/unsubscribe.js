// The unsubscribe link is one click for a person: their browser submits the page's form at once.
// Mail scanners and link previews fetch the link without running scripts, so they unsubscribe no one;
// without JavaScript the page keeps its one button.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("unsubscribe-form");
  if (form) { form.submit(); }
});
