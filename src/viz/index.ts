export { type LineChartOptions, lineChart, type Series } from './chart.js';
export { type ColorbarOptions, colorbar } from './colorbar.js';
export { type ColorizeOptions, type Colormap, colorIndices, colorize, colormap, colormapNames } from './colormap.js';
export { type ShowConfusionMatrixOptions, showConfusionMatrix } from './confusion.js';
export {
  drawExtraction,
  type Extraction,
  type ExtractionOptions,
  extractFeature,
  type ShowExtractionOptions,
  type Stage,
  showExtraction,
} from './extraction.js';
export { type FeatureModel, type ShowFeatureMapsOptions, showFeatureMaps } from './feature_maps.js';
export { Figure } from './figure.js';
export { type ShowFiltersOptions, showFilters } from './filters.js';
export { type GridOptions, grid, upscale } from './grid.js';
export { type ShowImagesOptions, showImages } from './images.js';
export { type ShowKernelOptions, showKernel, showKernels } from './kernel.js';
export { type MatrixOptions, matrix } from './matrix.js';
export {
  type FilterPatternOptions,
  type FilterPatterns,
  filterPatterns,
  type ShowFilterPatternsOptions,
  showFilterPatterns,
} from './patterns.js';
export { initRaster, type PngOptions, type RasterSetup, toPng } from './raster.js';
export { type ReportOptions, type ReportSection, report } from './report.js';
export { type Saliency, type SaliencyMethod, type SaliencyOptions, type ShowSaliencyOptions, saliency, showSaliency } from './saliency.js';
export { type TerminalPreviewOptions, terminalPreview } from './terminal.js';
