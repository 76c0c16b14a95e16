/* Progressive enhancement only: every form works without this file.
   - Inputs with data-suggest="/reference/…" fill their <datalist> from the reference API as one types;
     a suggestion reads "label (CODE)" and the server keeps the code in brackets.
   - A decision "rejected" makes its reason field required.
   - A long list of checkboxes marked data-filter gets a box that narrows it as one types (ticked ones stay). */
(function () {
  "use strict";
  var formats = {
    "/reference/job-titles": function (t) { return { value: t.label + " (" + t.rome + ")", label: t.rome_label }; },
    "/reference/skills": function (s) { return { value: s.label + " (" + s.code + ")", label: "" }; },
    "/reference/communes": function (c) { return { value: c.name + " " + c.postal_code + " (" + c.insee + ")", label: "" }; }
  };
  function suggest(input) {
    var source = input.getAttribute("data-suggest"), list = document.getElementById(input.getAttribute("list"));
    var format = formats[source], timer = null, last = "";
    if (!list || !format) { return; }
    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last || /\([A-Za-z0-9]+\)$/.test(q)) { return; }
      clearTimeout(timer);
      timer = setTimeout(function () {
        last = q;
        fetch(source + "?limit=8&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            list.textContent = "";
            items.forEach(function (item) {
              var o = format(item), option = document.createElement("option");
              option.value = o.value;
              if (o.label) { option.label = o.label; }
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a convenience: typing still works */ });
      }, 150);
    });
  }
  function decisions(form) {
    var select = form.querySelector("select[name=decision]"), reason = form.querySelector("input[name=reason]");
    if (!select || !reason) { return; }
    select.addEventListener("change", function () { reason.required = select.value === "rejected"; });
  }
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function filterable(fieldset) {
    var labels = Array.prototype.slice.call(fieldset.querySelectorAll("label"));
    var box = document.createElement("input"), legend = fieldset.querySelector("legend");
    box.type = "search";
    box.className = "filter";
    box.placeholder = "Filtrer la liste…";
    box.setAttribute("aria-label", "Filtrer : " + (legend ? legend.textContent.trim() : "la liste"));
    box.addEventListener("input", function () {
      var q = fold(box.value.trim());
      labels.forEach(function (label) {
        var ticked = label.querySelector("input:checked");
        label.hidden = !!q && !ticked && fold(label.textContent).indexOf(q) === -1;
      });
    });
    (legend || fieldset.firstChild).insertAdjacentElement(legend ? "afterend" : "beforebegin", box);
  }
  document.querySelectorAll("fieldset[data-filter]").forEach(filterable);
  document.querySelectorAll("input[data-suggest]").forEach(suggest);
  document.querySelectorAll("form[data-decision-form]").forEach(decisions);
})();
