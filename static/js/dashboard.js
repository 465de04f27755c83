/*
 * The console home's funnel charts: one bar chart per program, the stages (eligible, applied,
 * approved, active, graduated) along the bottom and one series per cohort.
 *
 * The figures come from the page's <script type="application/json" id="dashboard-funnel-data">
 * (Django's json_script; config.dashboard.funnel_chart_data builds it), so this file holds no
 * data and the CSP stays script-src 'self'. Chart.js is the vendored static/vendor/chartjs build,
 * loaded before this file (both deferred). The tables under the charts give the same numbers.
 */
(function () {
    "use strict";

    // Readable in the admin's light and dark themes; cohorts beyond six reuse them in turn.
    var PALETTE = ["#417690", "#e0a526", "#5b9b5b", "#c0504d", "#8064a2", "#4bacc6"];

    function cssVariable(name, fallback) {
        var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
        return value || fallback;
    }

    function numberFormat() {
        try {
            return new Intl.NumberFormat(document.documentElement.lang || undefined);
        } catch (error) {
            return new Intl.NumberFormat();
        }
    }

    function isPowerOfTen(value) {
        var power = Math.log10(value);
        return power >= 0 && Math.abs(power - Math.round(power)) < 1e-9;
    }

    // The axis runs to the next power of ten (at least 10): whole decades, so a chart of small
    // figures does not stretch a single merchant to the top.
    function axisMaximum(series) {
        var top = 1;
        series.forEach(function (item) {
            item.values.forEach(function (value) {
                top = Math.max(top, value);
            });
        });
        return Math.pow(10, Math.max(1, Math.ceil(Math.log10(top))));
    }

    function drawFunnels() {
        var source = document.getElementById("dashboard-funnel-data");
        if (!source || typeof window.Chart === "undefined") {
            return;
        }
        var data = JSON.parse(source.textContent);
        var text = cssVariable("--body-quiet-color", "#666");
        var grid = cssVariable("--hairline-color", "#e8e8e8");
        var numbers = numberFormat();

        data.charts.forEach(function (chart) {
            var canvas = document.querySelector(
                'canvas[data-funnel-chart="' + CSS.escape(chart.program) + '"]'
            );
            if (!canvas) {
                return;
            }
            var datasets = chart.series.map(function (series, index) {
                return {
                    label: series.label,
                    // A logarithmic axis has no zero: an empty stage draws no bar.
                    data: series.values.map(function (value) {
                        return value > 0 ? value : null;
                    }),
                    backgroundColor: PALETTE[index % PALETTE.length],
                    borderRadius: 2,
                };
            });
            new window.Chart(canvas, {
                type: "bar",
                data: { labels: data.stages, datasets: datasets },
                options: {
                    responsive: true,
                    maintainAspectRatio: false,
                    animation: false,
                    scales: {
                        x: {
                            // Five short stage names: keep them level, never slanted.
                            ticks: { color: text, maxRotation: 0, autoSkip: false },
                            grid: { display: false },
                        },
                        y: {
                            // Eligible merchants outnumber applicants by far: on a linear axis
                            // every later stage would be a sliver.
                            type: "logarithmic",
                            // Below 1, so that a stage of one merchant still shows a bar.
                            min: 0.5,
                            max: axisMaximum(chart.series),
                            title: { display: true, text: data.axis, color: text },
                            // Lines and labels at 1, 10, 100, ... only.
                            grid: {
                                color: function (context) {
                                    return context.tick && isPowerOfTen(context.tick.value)
                                        ? grid
                                        : "transparent";
                                },
                            },
                            ticks: {
                                color: text,
                                callback: function (value) {
                                    return isPowerOfTen(value) ? numbers.format(value) : "";
                                },
                            },
                        },
                    },
                    plugins: {
                        legend: { position: "bottom", labels: { color: text } },
                        tooltip: {
                            callbacks: {
                                label: function (item) {
                                    return item.dataset.label + ": " + numbers.format(item.raw);
                                },
                            },
                        },
                    },
                },
            });
        });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", drawFunnels);
    } else {
        drawFunnels();
    }
})();
