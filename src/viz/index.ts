export { type LineChartOptions, lineChart, type Series } from './chart.js';
export { type ColorizeOptions, type Colormap, colorize, colormap, colormapNames } from './colormap.js';
export { type GridOptions, grid, upscale } from './grid.js';
