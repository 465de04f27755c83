/*
 * A belt's page (console and portal): its GMV per year as bars and its merchant count as a line on
 * a second axis.
 *
 * Each <canvas data-belt-chart="ID"> draws the figures of the page's
 * <script type="application/json" id="ID"> (Django's json_script; config.atlas.pages.
 * belt_chart_data builds it), so this file holds no data and the CSP stays script-src 'self'.
 * GMV values come in the axis unit (亿 or 万 in Chinese, billions or millions in English) with each
 * bar's words formatted by the server, so the tooltips read amounts as the page does. The table
 * under the chart holds the same figures. Chart.js is the vendored static/vendor/chartjs build,
 * loaded before this file (both deferred).
 */
(function () {
    "use strict";

    var GMV_COLOR = "#2563eb";
    var MERCHANT_COLOR = "#c2410c";

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
        var source = document.getElementById(canvas.getAttribute("data-belt-chart"));
        if (!source || !window.Chart) {
            return;
        }
        var data = JSON.parse(source.textContent);
        var numbers = numberFormat();
        new window.Chart(canvas, {
            type: "bar",
            data: {
                labels: data.labels,
                datasets: [
                    {
                        type: "bar",
                        label: data.gmv.label,
                        data: data.gmv.values,
                        words: data.gmv.words,
                        backgroundColor: GMV_COLOR,
                        yAxisID: "y",
                        order: 2,
                    },
                    {
                        type: "line",
                        label: data.merchants.label,
                        data: data.merchants.values,
                        borderColor: MERCHANT_COLOR,
                        backgroundColor: MERCHANT_COLOR,
                        borderWidth: 2,
                        pointRadius: 3,
                        pointStyle: "rectRot",
                        yAxisID: "y1",
                        order: 1,
                    },
                ],
            },
            options: {
                responsive: true,
                maintainAspectRatio: false,
                animation: false,
                interaction: { mode: "index", intersect: false },
                scales: {
                    y: {
                        beginAtZero: true,
                        position: "left",
                        title: { display: true, text: data.gmv.axis },
                        ticks: {
                            callback: function (value) {
                                return numbers.format(value);
                            },
                        },
                    },
                    y1: {
                        beginAtZero: true,
                        position: "right",
                        grid: { drawOnChartArea: false },
                        title: { display: true, text: data.merchants.axis },
                        ticks: { precision: 0 },
                    },
                },
                plugins: {
                    legend: { position: "bottom" },
                    tooltip: {
                        callbacks: {
                            label: function (item) {
                                var words = item.dataset.words
                                    ? item.dataset.words[item.dataIndex]
                                    : numbers.format(item.raw);
                                return item.dataset.label + ": " + (words || "—");
                            },
                        },
                    },
                },
            },
        });
    }

    function drawAll() {
        var canvases = document.querySelectorAll("canvas[data-belt-chart]");
        for (var index = 0; index < canvases.length; index += 1) {
            draw(canvases[index]);
        }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", drawAll);
    } else {
        drawAll();
    }
})();
