// The Overview page's charts: each <canvas data-chart="…"> describes one bar chart (console/pages/overview.tsx).
// Chart.js is served by the console from node_modules; no other script runs on any page.
(() => {
  const palette = ['#2f7d4f', '#3b6fb6', '#c98a1b', '#b3362f', '#8c8c8c', '#6b4fa3'];
  const money = new Intl.NumberFormat('en-GB', {
    style: 'currency',
    currency: 'GBP',
    minimumFractionDigits: 2,
  });
  for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
    const spec = JSON.parse(canvas.dataset.chart);
    const format = (value) => (spec.money ? money.format(value) : String(value));
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((dataset, i) => ({
          ...dataset,
          backgroundColor: spec.horizontal ? [palette[1], palette[2]] : palette[i % palette.length],
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? 'y' : 'x',
        plugins: {
          legend: { display: spec.datasets.length > 1, position: 'bottom' },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(item.raw)}` } },
        },
        scales: {
          x: { stacked: Boolean(spec.stacked), ticks: spec.horizontal ? { callback: format } : {} },
          y: {
            stacked: Boolean(spec.stacked),
            beginAtZero: true,
            ticks: spec.horizontal ? {} : { precision: spec.money ? 2 : 0, callback: format },
          },
        },
      },
    });
  }
})();
