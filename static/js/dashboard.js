/*
 * The console home's funnel charts: one bar chart per program, the stages (eligible, applied,
 * approved, active, graduated) along the bottom and one series per cohort, on a linear axis
 * from zero.
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

    // Stage names ("Eligible", "Graduated") and cohort names can be long, in Chinese too:
    // break a label into lines of about ``width`` characters rather than slant or cut it.
    function wrapLabel(label, width) {
        var text = String(label);
        if (text.length <= width) {
            return text;
        }
        var words = text.split(" ");
        if (words.length === 1) {
            var pieces = [];
            for (var start = 0; start < text.length; start += width) {
                pieces.push(text.slice(start, start + width));
            }
            return pieces;
        }
        var lines = [];
        var line = "";
        words.forEach(function (word) {
            if (line && (line + " " + word).length > width) {
                lines.push(line);
                line = word;
            } else {
                line = line ? line + " " + word : word;
            }
        });
        if (line) {
            lines.push(line);
        }
        return lines;
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
                    data: series.values,
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
                            // Five stage names: level, on two lines if need be, never slanted.
                            ticks: {
                                color: text,
                                maxRotation: 0,
                                autoSkip: false,
                                font: { size: 12 },
                                callback: function (value) {
                                    return wrapLabel(this.getLabelForValue(value), 12);
                                },
                            },
                            grid: { display: false },
                        },
                        y: {
                            // A linear axis from zero: bars compare as the figures do (the
                            // table beside the chart gives the exact numbers).
                            type: "linear",
                            beginAtZero: true,
                            title: { display: true, text: data.axis, color: text },
                            grid: { color: grid },
                            ticks: {
                                color: text,
                                precision: 0,
                                font: { size: 12 },
                                callback: function (value) {
                                    return numbers.format(value);
                                },
                            },
                        },
                    },
                    plugins: {
                        legend: {
                            position: "bottom",
                            labels: {
                                color: text,
                                boxWidth: 12,
                                font: { size: 12 },
                                // A long cohort name is cut in the legend; the tooltip and
                                // the table give it whole.
                                generateLabels: function (instance) {
                                    var labels =
                                        window.Chart.defaults.plugins.legend.labels.generateLabels(
                                            instance
                                        );
                                    labels.forEach(function (item) {
                                        if (item.text.length > 28) {
                                            item.text = item.text.slice(0, 27) + "…";
                                        }
                                    });
                                    return labels;
                                },
                            },
                        },
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
