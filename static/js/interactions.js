/* Search-as-you-type for participant selects (progressive enhancement).
 *
 * Without JavaScript each participant is a plain grouped <select>. Here every
 * <select data-party-search="kinds" data-search-url="..."> gets a combobox input: typing asks the
 * JSON search endpoint, choosing a result sets the (hidden) select, which is what the form submits.
 */
(function () {
  "use strict";

  var counter = 0;

  function enhance(select) {
    var url = select.getAttribute("data-search-url");
    if (!url) { return; }
    var kinds = select.getAttribute("data-party-search");
    var id = select.id || ("party-" + (counter += 1));
    var wrapper = document.createElement("div");
    wrapper.className = "party-search position-relative";
    var input = document.createElement("input");
    input.type = "search";
    input.className = "form-control";
    input.id = id + "-search";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");
    input.placeholder = "Type a name or acronym…";
    var list = document.createElement("ul");
    list.id = id + "-results";
    list.className = "list-group position-absolute w-100 shadow-sm party-results";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("aria-controls", list.id);

    var label = document.querySelector("label[for='" + select.id + "']");
    if (label) { label.htmlFor = input.id; }
    if (select.value) {
      var chosen = select.options[select.selectedIndex];
      input.value = chosen ? chosen.text : "";
    }
    select.classList.add("d-none");
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    select.parentNode.insertBefore(wrapper, select);
    wrapper.appendChild(input);
    wrapper.appendChild(list);

    var active = -1;
    var timer = null;
    var items = [];

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(item) {
      var option = Array.prototype.find.call(select.options, function (o) { return o.value === item.value; });
      if (!option) {
        option = new Option(item.label, item.value);
        select.appendChild(option);
      }
      select.value = item.value;
      input.value = item.label;
      close();
    }

    function highlight(index) {
      var nodes = list.querySelectorAll("[role=option]");
      nodes.forEach(function (node, i) {
        node.classList.toggle("active", i === index);
        node.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (nodes[index]) { input.setAttribute("aria-activedescendant", nodes[index].id); }
    }

    function render(results) {
      items = results;
      list.textContent = "";
      results.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.className = "list-group-item list-group-item-action";
        li.setAttribute("role", "option");
        li.textContent = item.label;
        li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(item); });
        list.appendChild(li);
      });
      if (!results.length) {
        var empty = document.createElement("li");
        empty.className = "list-group-item text-body-secondary";
        empty.textContent = "No match.";
        list.appendChild(empty);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function search() {
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      var query = url + "?q=" + encodeURIComponent(q) + (kinds ? "&types=" + encodeURIComponent(kinds) : "");
      fetch(query, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { items: [] }; })
        .then(function (data) { if (input.value.trim() === q) { render(data.items || []); } })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      if (!input.value.trim()) { select.value = ""; }
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(items[active]); }
      else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.querySelectorAll("select[data-party-search]").forEach(enhance);
}());
