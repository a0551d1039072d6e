// The rule editor of the criterion admin. The server renders the whole tree of rule forms (trials/rule_editor.py);
// this script only rearranges it: it adds and removes rules by cloning the blank rule of each type that the page
// carries in <template data-rule-template="...">, changes a rule's type the same way (keeping what still fits),
// offers the units of the chosen lab test and the values of the chosen fact, and asks the server to convert between
// the form and the JSON view. Input names carry the place of each rule ("rule-rules-2-value"); numbers are never
// reused, so nothing is renumbered. Loaded as a file (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  const PLACEHOLDER = "__prefix__";
  const GROUPS = ["all_of", "any_of"];

  function editorOf(element) {
    return element.closest("[data-rule-editor]");
  }

  function fromTemplate(editor, name, prefix) {
    const template = editor.querySelector('template[data-rule-template="' + name + '"]');
    if (!template) return null;
    const holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.split(PLACEHOLDER).join(prefix);
    return holder.firstElementChild;
  }

  // The controls and parts that belong to this rule itself, not to a rule inside it.
  function own(node, selector) {
    return Array.from(node.querySelectorAll(selector)).filter(function (element) {
      return element.closest("[data-rule-node]") === node;
    });
  }

  function ownChildren(node) {
    const list = own(node, "[data-rule-children]")[0];
    return list ? Array.from(list.children).filter((child) => child.matches("[data-rule-node]")) : [];
  }

  function ownSlot(node, key) {
    return own(node, '[data-rule-slot][data-prefix="' + node.dataset.prefix + "-" + key + '"]')[0] || null;
  }

  function isEmpty(node) {
    return !node.dataset.type;
  }

  // Renames a rule and everything inside it: the inputs of "rule-rules-0" become those of "rule-rules-0-rules-0".
  function reprefix(root, from, to) {
    const swap = function (value) {
      if (value === from || value.startsWith(from + "-")) return to + value.slice(from.length);
      return null;
    };
    const elements = [root].concat(Array.from(root.querySelectorAll("*")));
    elements.forEach(function (element) {
      ["name", "data-prefix", "data-rule-add", "data-rule-add-slot", "data-rule-add-item"].forEach(function (attr) {
        const value = element.getAttribute(attr);
        const swapped = value === null ? null : swap(value);
        if (swapped !== null) element.setAttribute(attr, swapped);
      });
      ["id", "for", "aria-describedby"].forEach(function (attr) {
        const value = element.getAttribute(attr);
        if (value === null || !value.startsWith("id_")) return;
        const swapped = swap(value.slice(3));
        if (swapped !== null) element.setAttribute(attr, "id_" + swapped);
      });
    });
  }

  function setRole(node, role, removable) {
    const label = own(node, ".rule-role")[0];
    if (label && role) label.textContent = role;
    const head = own(node, ".rule-node-head")[0];
    const remove = own(node, "[data-rule-remove]")[0];
    if (removable && !remove && head) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "rule-button rule-remove";
      button.setAttribute("data-rule-remove", "");
      button.textContent = "Remove";
      head.appendChild(button);
    } else if (!removable && remove) {
      remove.remove();
    }
  }

  function roleOf(node) {
    const label = own(node, ".rule-role")[0];
    return label ? label.textContent : "";
  }

  // Values of the fields both types have (a lab test, a comparison, drug classes) are kept.
  function carryOver(from, to) {
    own(from, "input, select, textarea").forEach(function (control) {
      const name = control.name;
      if (!name || name.endsWith("-type") || name.endsWith("-hints")) return;
      own(to, "input, select, textarea").forEach(function (target) {
        if (target.name !== name || target.type !== control.type) return;
        if (control.type === "checkbox" || control.type === "radio") {
          if (target.value === control.value) target.checked = control.checked;
        } else if (target.tagName === "SELECT" && !target.multiple) {
          if (Array.from(target.options).some((option) => option.value === control.value)) target.value = control.value;
        } else {
          target.value = control.value;
        }
      });
    });
  }

  function changeType(select) {
    const node = select.closest("[data-rule-node]");
    const editor = editorOf(node);
    const prefix = node.dataset.prefix;
    const oldType = node.dataset.type;
    const newType = select.value;
    const replacement = fromTemplate(editor, newType, prefix);
    if (!replacement) return;
    const role = roleOf(node);
    const removable = own(node, "[data-rule-remove]").length > 0;
    const oldList = GROUPS.includes(oldType) ? own(node, "[data-rule-children]")[0] : null;
    const oldSlot = oldType === "not" ? ownSlot(node, "rule") : null;
    const inner = oldList ? ownChildren(node) : oldSlot && oldSlot.firstElementChild ? [oldSlot.firstElementChild] : [];
    const kept = inner.filter((child) => !isEmpty(child));
    const newIsContainer = GROUPS.includes(newType) || newType === "not";
    if (kept.length && !newIsContainer) {
      const sure = window.confirm("Change the type? The " + kept.length + " rule(s) inside will be removed.");
      if (!sure) {
        select.value = oldType;
        return;
      }
    }
    select.value = oldType; // the old rule may move inside the new one, with its own type
    node.replaceWith(replacement);

    function moveInto(container, moved, movedPrefix, movedRole) {
      reprefix(moved, moved.dataset.prefix, movedPrefix);
      setRole(moved, movedRole, true);
      container.replaceChildren(moved);
    }

    if (GROUPS.includes(newType) && oldType) {
      // A group keeps its rules (and-group to or-group); a single rule, or the rule of a "not", becomes the first
      // rule of the new group.
      const list = own(replacement, "[data-rule-children]")[0];
      if (oldList) {
        list.replaceChildren.apply(list, inner);
        list.dataset.nextIndex = oldList.dataset.nextIndex;
      } else if (oldType !== "not" || kept.length) {
        moveInto(list, oldType === "not" ? kept[0] : node, prefix + "-rules-0", "Rule");
        list.dataset.nextIndex = "1";
      }
    } else if (newType === "not" && oldType) {
      // "Not" of a single rule, of the one rule of a group, or of the whole group.
      const slot = ownSlot(replacement, "rule");
      const moved = oldList && kept.length <= 1 ? kept[0] : node;
      if (moved) moveInto(slot, moved, prefix + "-rule", slot.dataset.role);
    } else {
      carryOver(node, replacement);
    }
    setRole(replacement, role, removable);
    own(replacement, "select[data-rule-analyte]").forEach(analyteChanged);
    own(replacement, "select[data-rule-fact]").forEach(factChanged);
    if (!newIsContainer) carryOver(node, replacement); // again, now that the units of the lab test are offered
    const first = own(replacement, "select[data-rule-type]")[0];
    if (first) first.focus();
  }

  function addRule(button) {
    const editor = editorOf(button);
    const list = editor.querySelector('[data-rule-children][data-prefix="' + button.dataset.ruleAdd + '"]');
    const index = parseInt(list.dataset.nextIndex, 10) || 0;
    list.dataset.nextIndex = String(index + 1);
    const node = fromTemplate(editor, "", list.dataset.prefix + "-" + index);
    list.appendChild(node);
    own(node, "select[data-rule-type]")[0].focus();
  }

  function addSlotRule(button) {
    const editor = editorOf(button);
    const slot = editor.querySelector('[data-rule-slot][data-prefix="' + button.dataset.ruleAddSlot + '"]');
    const node = fromTemplate(editor, "", slot.dataset.prefix);
    setRole(node, slot.dataset.role, true);
    slot.replaceChildren(node);
    button.hidden = true;
    own(node, "select[data-rule-type]")[0].focus();
  }

  function addItem(button) {
    const editor = editorOf(button);
    const list = editor.querySelector('[data-rule-items][data-prefix="' + button.dataset.ruleAddItem + '"]');
    const index = parseInt(list.dataset.nextIndex, 10) || 0;
    list.dataset.nextIndex = String(index + 1);
    const item = fromTemplate(editor, button.dataset.template, list.dataset.prefix + "-" + index);
    list.appendChild(item);
    const first = item.querySelector("input, select");
    if (first) first.focus();
  }

  function removeRule(button) {
    const node = button.closest("[data-rule-node]");
    const slot = node.parentElement.matches("[data-rule-slot]") ? node.parentElement : null;
    node.remove();
    if (slot && slot.parentElement) {
      const add = slot.parentElement.querySelector('[data-rule-add-slot="' + slot.dataset.prefix + '"]');
      if (add) add.hidden = false;
    }
  }

  // The units of the chosen lab test; a unit the new test also has stays chosen.
  function analyteChanged(select) {
    const node = select.closest("[data-rule-node]");
    const unit = own(node, "select[data-rule-unit]")[0];
    if (!unit) return;
    const units = JSON.parse(editorOf(node).dataset.units)[select.value] || [];
    const current = unit.value;
    const options = units.length ? units.map((u) => new Option(u, u)) : [new Option("Choose the lab test first", "")];
    unit.replaceChildren.apply(unit, options);
    unit.value = units.includes(current) ? current : units[0] || "";
  }

  // The values of the chosen fact (each yes/no fact shares the Yes/No boxes).
  function factChanged(select) {
    const node = select.closest("[data-rule-node]");
    const group = JSON.parse(editorOf(node).dataset.factGroups)[select.value] || "";
    own(node, "[data-rule-fact-group]").forEach(function (values) {
      values.hidden = values.dataset.ruleFactGroup !== group;
    });
  }

  function message(editor, text) {
    const box = editor.querySelector("[data-rule-message]");
    if (box) box.textContent = text;
  }

  // Switching views: the server converts what is in the view being left, so that both say the same.
  function switchView(radio) {
    const editor = editorOf(radio);
    const url = editor.dataset.convertUrl;
    if (!url || !radio.form) return;
    const back = editor.querySelector('input[name="' + radio.name + '"]:not([value="' + radio.value + '"])');
    const body = new FormData(radio.form);
    body.set("_rule_convert", radio.value);
    message(editor, "");
    fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (result) {
        if (result.error) {
          message(editor, result.error);
          if (back) back.checked = true;
          return;
        }
        if ("json" in result) editor.querySelector('[data-rule-pane="json"] textarea').value = result.json;
        if ("html" in result) editor.querySelector('[data-rule-pane="editor"]').innerHTML = result.html;
      })
      .catch(function () {
        message(editor, "The view could not be switched (is the connection down?). Try again.");
        if (back) back.checked = true;
      });
  }

  document.addEventListener("click", function (event) {
    const target = event.target.closest(
      "[data-rule-add], [data-rule-add-slot], [data-rule-add-item], [data-rule-remove], [data-rule-remove-item]"
    );
    if (!target || !editorOf(target)) return;
    event.preventDefault();
    if (target.hasAttribute("data-rule-add")) addRule(target);
    else if (target.hasAttribute("data-rule-add-slot")) addSlotRule(target);
    else if (target.hasAttribute("data-rule-add-item")) addItem(target);
    else if (target.hasAttribute("data-rule-remove")) removeRule(target);
    else target.closest("[data-rule-item]").remove();
  });

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (!editorOf(target)) return;
    if (target.matches("select[data-rule-type]")) changeType(target);
    else if (target.matches("select[data-rule-analyte]")) analyteChanged(target);
    else if (target.matches("select[data-rule-fact]")) factChanged(target);
    else if (target.matches('input[type="radio"][name="rule_mode"]')) switchView(target);
  });

  // A JSON syntax error: the cursor goes where the parser stopped.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-rule-editor] textarea[data-error-position]").forEach(function (textarea) {
      const at = parseInt(textarea.dataset.errorPosition, 10) || 0;
      textarea.focus();
      textarea.setSelectionRange(at, at + 1);
    });
  });
})();
