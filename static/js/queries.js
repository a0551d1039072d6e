// Shows each open or answered query at the field or criterion it is about: a callout inside the element whose id is
// the query's target, linking back to the thread (and its answer form) in the queries panel.
(function () {
  "use strict";
  document.querySelectorAll("#queries .query").forEach(function (query) {
    var status = query.dataset.status;
    if (status === "closed") return;
    var place = document.getElementById(query.dataset.target);
    if (!place) return;
    var callout = document.createElement("div");
    callout.className = "alert py-1 px-2 small mt-1 mb-1 query-callout " + (status === "open" ? "alert-warning" : "alert-info");
    callout.setAttribute("role", "note");
    var questions = query.querySelectorAll(".query-question");
    var last = questions[questions.length - 1];
    var strong = document.createElement("strong");
    strong.textContent = status === "open" ? "Query from the investigator: " : "Query answered: ";
    callout.appendChild(strong);
    callout.appendChild(document.createTextNode(last ? last.querySelector(".query-text").textContent.trim() + " " : ""));
    var link = document.createElement("a");
    link.href = "#" + query.id;
    link.textContent = status === "open" ? "Answer it" : "See the thread";
    callout.appendChild(link);
    var cell = place.tagName === "TR" ? place.querySelector("td:last-child") || place : place;
    cell.appendChild(callout);
  });
})();
