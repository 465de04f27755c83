/*
 * The portal's GMV charts (its home and the metrics page): GMV and live-stream GMV per month, as
 * two lines.
 *
 * Each <canvas data-portal-chart="ID"> draws the figures of the page's
 * <script type="application/json" id="ID"> (Django's json_script; merchants.presenters.
 * gmv_chart_data builds it), so this file holds no data and the CSP stays script-src 'self'.
 * Values come in the axis unit (万 or 亿 in Chinese, millions or billions in English) and each
 * point's words come formatted by the server, so the tooltips read amounts as the pages do.
 * Chart.js is the vendored static/vendor/chartjs build, loaded before this file (both deferred).
 */
(function () {
    "use strict";

    var COLORS = ["#2563eb", "#e0a526"];

    function numberFormat() {
        try {
            return new Intl.NumberFormat(document.documentElement.lang || undefined, {
                maximumFractionDigits: 1,
            });
        } catch (error) {
            return new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
        }
    }

    function draw(canvas) {
        var source = document.getElementById(canvas.getAttribute("data-portal-chart"));
        if (!source) {
            return;
        }
        var data = JSON.parse(source.textContent);
        var numbers = numberFormat();
        var datasets = data.series.map(function (series, index) {
            var color = COLORS[index % COLORS.length];
            return {
                label: series.label,
                data: series.values,
                words: series.words,
                borderColor: color,
                backgroundColor: color,
                pointRadius: 2,
                borderWidth: 2,
                spanGaps: false,
            };
        });
        new window.Chart(canvas, {
            type: "line",
            data: { labels: data.labels, datasets: datasets },
            options: {
                responsive: true,
                maintainAspectRatio: false,
                animation: false,
                interaction: { mode: "index", intersect: false },
                scales: {
                    x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 6 } },
                    y: {
                        beginAtZero: true,
                        title: { display: true, text: data.axis },
                        ticks: {
                            callback: function (value) {
                                return numbers.format(value);
                            },
                        },
                    },
                },
                plugins: {
                    legend: { position: "bottom" },
                    tooltip: {
                        callbacks: {
                            label: function (item) {
                                var words = item.dataset.words[item.dataIndex];
                                return item.dataset.label + ": " + (words || "—");
                            },
                        },
                    },
                },
            },
        });
    }

    function drawAll() {
        if (typeof window.Chart === "undefined") {
            return;
        }
        document.querySelectorAll("canvas[data-portal-chart]").forEach(draw);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", drawAll);
    } else {
        drawAll();
    }
})();
