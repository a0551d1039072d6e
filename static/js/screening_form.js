// Adds a row to a Django formset from its <template>, and lets htmx wire up the new inputs.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-add-row]");
  if (!button) return;
  const prefix = button.dataset.addRow;
  const total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
  const template = document.getElementById(prefix + "-empty");
  const index = parseInt(total.value, 10);
  const html = template.innerHTML.replace(/__prefix__/g, String(index));
  const body = document.getElementById(prefix + "-rows");
  body.insertAdjacentHTML("beforeend", html);
  total.value = String(index + 1);
  const row = body.lastElementChild;
  if (window.htmx) window.htmx.process(row);
  const first = row.querySelector("input, select");
  if (first) first.focus();
});
