/* Search-as-you-type for stakeholders and participants (progressive enhancement).
 *
 * Without JavaScript a participant is a text box whose name the server resolves, and the list filter a short
 * <select>. Here every element with data-party-search="kinds" and data-search-url becomes a combobox: typing asks
 * the JSON search endpoint; choosing a result stores its reference, which is what the server uses.
 */
(function () {
  "use strict";

  var counter = 0;

  // A <select> (the list filter) is hidden behind a new box and keeps the choice; an <input> (a participant row)
  // becomes the box itself and keeps the choice in the hidden input named by data-ref-input.
  function enhance(element) {
    var url = element.getAttribute("data-search-url");
    if (!url) { return; }
    var kinds = element.getAttribute("data-party-search");
    var id = element.id || ("party-" + (counter += 1));
    var isSelect = element.tagName === "SELECT";
    var input = isSelect ? document.createElement("input") : element;
    var ref = isSelect ? element : document.getElementById(element.getAttribute("data-ref-input"));
    if (!ref) { return; }
    var wrapper = document.createElement("div");
    wrapper.className = "party-search position-relative";
    if (isSelect) {
      input.type = "search";
      input.className = "form-control";
      input.id = id + "-search";
      var label = document.querySelector("label[for='" + element.id + "']");
      if (label) { label.htmlFor = input.id; }
      if (element.value) {
        var chosen = element.options[element.selectedIndex];
        input.value = chosen ? chosen.text : "";
      }
      element.classList.add("d-none");
      element.setAttribute("aria-hidden", "true");
      element.tabIndex = -1;
    }
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
    element.parentNode.insertBefore(wrapper, element);
    wrapper.appendChild(input);
    wrapper.appendChild(list);

    function setRef(value, text) {
      if (isSelect && value) {
        var option = Array.prototype.find.call(ref.options, function (o) { return o.value === value; });
        if (!option) { ref.appendChild(new Option(text, value)); }
      }
      ref.value = value;
    }

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
      setRef(item.value, item.label);
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
      // What is typed no longer names the chosen party: the filter clears, a participant is resolved by name.
      if (!isSelect || !input.value.trim()) { setRef("", ""); }
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

  document.querySelectorAll("[data-party-search]").forEach(enhance);
}());
