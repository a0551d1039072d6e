// Puts each value imported from the EHR beside the field it fills: its source (resource, date, original text and
// unit), and, where the coordinator typed something else, the conflict. The panel keeps the full list.
(function () {
  "use strict";
  document.querySelectorAll("#ehr .ehr-value").forEach(function (item) {
    var place = document.getElementById(item.dataset.anchor);
    if (!place) return;
    var note = document.createElement("div");
    var conflict = item.dataset.use === "conflict";
    note.className = "small mt-1 mb-1 ehr-note " + (conflict ? "text-danger" : "text-info-emphasis");
    note.textContent = (conflict ? "EHR says " : "From the EHR: ") + item.querySelector(".ehr-shown").textContent +
      " — " + item.querySelector(".ehr-source").textContent.trim();
    var cell = place.tagName === "TR" ? place.querySelector("td:last-child") || place : place;
    cell.appendChild(note);
  });
})();
