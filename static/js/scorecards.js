/*
 * The providers' scorecards chart: one horizontal bar per provider and kind of leg, the
 * attributed damage of the period, in the order of the table under it.
 *
 * The figures come from the page's <script type="application/json" id="scorecards-data">
 * (Django's json_script; logistics.admin.scorecards.chart_data builds it), so this file holds
 * no data and the CSP stays script-src 'self'. Chart.js is the vendored static/vendor/chartjs
 * build, loaded before this file (both deferred).
 */
(function () {
    "use strict";

    var PALETTE = ["#c0504d", "#417690", "#e0a526", "#5b9b5b"];

    function cssVariable(name, fallback) {
        var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
        return value || fallback;
    }

    function draw() {
        var source = document.getElementById("scorecards-data");
        var canvas = document.getElementById("scorecards-chart");
        if (!source || !canvas || typeof window.Chart === "undefined") {
            return;
        }
        var data = JSON.parse(source.textContent);
        var text = cssVariable("--body-quiet-color", "#666");
        var grid = cssVariable("--hairline-color", "#e8e8e8");
        new window.Chart(canvas, {
            type: "bar",
            data: {
                labels: data.labels,
                datasets: data.series.map(function (series, index) {
                    return {
                        label: series.label,
                        data: series.values,
                        backgroundColor: PALETTE[index % PALETTE.length],
                        borderRadius: 2,
                    };
                }),
            },
            options: {
                indexAxis: "y",
                responsive: true,
                maintainAspectRatio: false,
                animation: false,
                plugins: { legend: { labels: { color: text } } },
                scales: {
                    x: { beginAtZero: true, ticks: { color: text, precision: 0 }, grid: { color: grid } },
                    y: { ticks: { color: text }, grid: { display: false } },
                },
            },
        });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", draw);
    } else {
        draw();
    }
})();
