/*
 * A rule set's criteria form (templates/admin/programs/ruleset/_criteria_formset.html): each
 * row shows the parameter fields of the type chosen in it, and "Add a criterion" appends a row
 * from the form set's empty form. Without this file every type's fields show, each group named
 * by its type, and the form still saves. No inline script (CSP 'self').
 */
(function () {
    "use strict";

    function showChosenType(row) {
        var select = row.querySelector("select.criterion-type");
        var chosen = select ? select.value : "";
        row.querySelectorAll(".criterion-params").forEach(function (group) {
            group.hidden = group.getAttribute("data-criterion-type") !== chosen;
        });
    }

    function watchRow(row) {
        var select = row.querySelector("select.criterion-type");
        if (select) {
            select.addEventListener("change", function () {
                showChosenType(row);
            });
        }
        showChosenType(row);
    }

    function setUp() {
        var fieldset = document.getElementById("criteria");
        if (!fieldset) {
            return;
        }
        var prefix = fieldset.getAttribute("data-prefix");
        var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
        var maximum = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
        var rows = fieldset.querySelector(".criteria-rows");
        var template = document.getElementById("criteria-empty-row");
        var add = document.getElementById("criteria-add-row");

        rows.querySelectorAll(".criterion-row").forEach(watchRow);

        if (!total || !template || !add) {
            return;
        }
        add.hidden = false;
        add.addEventListener("click", function () {
            var index = parseInt(total.value, 10);
            if (maximum && index >= parseInt(maximum.value, 10)) {
                return;
            }
            var html = template.innerHTML.replace(/__prefix__/g, String(index));
            var holder = document.createElement("ol");
            holder.innerHTML = html.trim();
            var row = holder.firstElementChild;
            rows.appendChild(row);
            total.value = String(index + 1);
            watchRow(row);
            var select = row.querySelector("select.criterion-type");
            if (select) {
                select.focus();
            }
        });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", setUp);
    } else {
        setUp();
    }
})();
