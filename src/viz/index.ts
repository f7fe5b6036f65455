export { type ColorizeOptions, type Colormap, colorize, colormap, colormapNames } from './colormap.js';
