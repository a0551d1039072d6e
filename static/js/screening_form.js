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

// Typing on a long form is activity: keep the session alive while the coordinator works, and warn before an idle
// session ends (30 minutes) so that nothing typed is lost.
(function () {
  const form = document.getElementById("screening-form");
  if (!form) return;
  const keepaliveUrl = form.dataset.keepaliveUrl;
  const warning = document.getElementById("session-warning");
  const PING_EVERY_MS = 2 * 60 * 1000;
  const WARN_AFTER_MS = 25 * 60 * 1000;
  let lastActivity = Date.now();
  let lastPing = Date.now();

  function activity() {
    lastActivity = Date.now();
    if (warning) warning.hidden = true;
    if (Date.now() - lastPing > PING_EVERY_MS) {
      lastPing = Date.now();
      fetch(keepaliveUrl, { credentials: "same-origin", cache: "no-store" });
    }
  }
  form.addEventListener("input", activity);
  form.addEventListener("change", activity);
  window.setInterval(function () {
    if (warning && Date.now() - lastActivity > WARN_AFTER_MS) warning.hidden = false;
  }, 30 * 1000);
})();

// Accepting a "did you mean" suggestion: the misspelt word in the field is replaced by the suggested name, and the
// field is matched again. Nothing is replaced without this click.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-replace-word]");
  if (!button) return;
  const match = button.closest(".drug-match");
  const input = match && match.parentElement.querySelector("input");
  if (!input) return;
  const typed = button.dataset.replaceWord;
  const at = input.value.toLowerCase().indexOf(typed.toLowerCase());
  if (at < 0) return;
  input.value = input.value.slice(0, at) + button.dataset.replaceWith + input.value.slice(at + typed.length);
  input.dispatchEvent(new Event("input", { bubbles: true }));
  input.dispatchEvent(new Event("change", { bubbles: true }));
  input.focus();
});
