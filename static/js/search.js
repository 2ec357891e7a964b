// The one search: "/" anywhere (but in a text field) jumps to the staff bar's search box; on the results page,
// the arrow keys move between the results (and from the box to the first one), Home/End to the first and last.
(function () {
  function typing(element) {
    if (!element) return false;
    const tag = element.tagName;
    return element.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typing(document.activeElement)) return;
    const box = document.getElementById("search-page-q") || document.getElementById("staff-search-q");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  const results = document.querySelector("[data-search-results]");
  if (!results) return;
  const links = () => Array.from(results.querySelectorAll("a.search-hit"));
  document.addEventListener("keydown", (event) => {
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    const all = links();
    if (!all.length) return;
    const here = all.indexOf(document.activeElement);
    const inBox = document.activeElement && document.activeElement.id === "search-page-q";
    if (here < 0 && !(inBox && event.key === "ArrowDown")) return;
    let next;
    if (event.key === "Home") next = 0;
    else if (event.key === "End") next = all.length - 1;
    else if (event.key === "ArrowDown") next = here < 0 ? 0 : Math.min(all.length - 1, here + 1);
    else next = here - 1;
    event.preventDefault();
    if (next < 0) document.getElementById("search-page-q").focus();
    else all[next].focus();
  });
})();
