/* Accessible names for the admin's widgets that come without one (axe-core's label,
   select-name, aria-input-field-name and list rules):
   - a tabular inline's cells are named by their column's header (Django's tabular.html gives a
     cell's field no label; Django ticket #36509);
   - Django's select2 (autocomplete fields) names its box after its own, empty, text: it is
     named by the field's label, and its "clear all" cross, a span inside its list of choices,
     is left to the mouse (the keyboard clears with Backspace);
   - the import preview's table, which scrolls inside its box, takes the keyboard's focus;
   - django-import-export's export form ties its "Select all" label to no checkbox and wires
     the checkbox with an inline handler, which the Content-Security-Policy blocks.
   Loaded on every admin page (admin/base_site.html); what select2 and the inlines add later
   (a row added, a choice made) is named as it appears. */
"use strict";
{
    const named = "data-registry-named";

    // The id of an element, given one if it has none.
    function idOf(element, fallback) {
        if (!element.id) {
            element.id = fallback;
        }
        return element.id;
    }

    // The element that names a form field: its label, or its tabular inline column's header.
    function namer(field) {
        if (!field.id) {
            return null;
        }
        const label = document.querySelector(`label[for="${CSS.escape(field.id)}"]`);
        if (label) {
            return idOf(label, `${field.id}-label`);
        }
        const cell = field.closest(".inline-related.tabular td");
        if (!cell) {
            return null;
        }
        const table = cell.closest("table");
        const column = [...cell.classList].find((name) => name.startsWith("field-"));
        const header = column
            ? table.querySelector(`thead th.column-${CSS.escape(column.slice(6))}`)
            : cell.classList.contains("delete") && table.querySelector("thead th:last-child");
        if (!header || !header.textContent.trim()) {
            return null;
        }
        const group = cell.closest(".inline-group");
        return idOf(header, `${group.id}-${column || "delete"}-header`);
    }

    function nameTabularCells(root) {
        const fields = root.querySelectorAll(
            ".inline-related.tabular td input:not([type=hidden]), " +
            ".inline-related.tabular td select, .inline-related.tabular td textarea"
        );
        for (const field of fields) {
            if (!field.hasAttribute("aria-labelledby") && !field.labels.length) {
                const header = namer(field);
                if (header) {
                    field.setAttribute("aria-labelledby", header);
                }
            }
        }
    }

    function nameSelect2Boxes(root) {
        for (const select of root.querySelectorAll("select.admin-autocomplete")) {
            const box = select.nextElementSibling;
            if (!box || !box.classList.contains("select2-container")) {
                continue;
            }
            const label = namer(select);
            if (!label) {
                continue;
            }
            const selection = box.querySelector(".select2-selection");
            const rendered = box.querySelector(".select2-selection__rendered");
            if (selection && !selection.hasAttribute(named)) {
                // The label first, then the choice shown (select2's own labelledby).
                const shown = selection.getAttribute("aria-labelledby");
                selection.setAttribute("aria-labelledby", shown ? `${label} ${shown}` : label);
                selection.setAttribute(named, "");
            }
            if (rendered && rendered.getAttribute("role") === "textbox") {
                rendered.setAttribute("aria-labelledby", label);
            }
            const search = box.querySelector(".select2-search__field");
            if (search) {
                search.setAttribute("aria-labelledby", label);
            }
            for (const clear of box.querySelectorAll("ul > .select2-selection__clear")) {
                clear.setAttribute("aria-hidden", "true");
            }
        }
    }

    function wireExportToggle(root) {
        const toggle = root.querySelector("input.select-toggle");
        if (!toggle || toggle.id) {
            return;
        }
        toggle.id = "select-all-toggle";
        if (typeof window.onSelectToggleChange === "function") {
            toggle.addEventListener("change", window.onSelectToggleChange);
        }
    }

    // A box that scrolls sideways (the import preview's table, admin.css) is reached from the
    // keyboard too, to scroll it with the arrow keys.
    function focusableScrollers(root) {
        for (const table of root.querySelectorAll("table.import-preview")) {
            if (!table.hasAttribute("tabindex")) {
                table.tabIndex = 0;
            }
        }
    }

    function nameAll() {
        focusableScrollers(document);
        nameTabularCells(document);
        nameSelect2Boxes(document);
        wireExportToggle(document);
    }

    let pending = false;
    function soon() {
        if (!pending) {
            pending = true;
            queueMicrotask(() => {
                pending = false;
                nameAll();
            });
        }
    }

    document.addEventListener("DOMContentLoaded", () => {
        nameAll();
        // select2 starts after the page has loaded and renders its boxes again on each choice.
        new MutationObserver(soon).observe(document.body, { childList: true, subtree: true });
    });
}
