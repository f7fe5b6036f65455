export { Activation, type ActivationLayerArgs } from './activation.js';
export { Conv2D, type Conv2DLayerArgs } from './conv2d.js';
export { Dense, type DenseLayerArgs } from './dense.js';
export { Dropout, type DropoutLayerArgs } from './dropout.js';
export { Flatten } from './flatten.js';
export { Layer, type LayerArgs, resetNames, Weight } from './layer.js';
export { AvgPool2D, AvgPool2D as AveragePooling2D, MaxPool2D, MaxPool2D as MaxPooling2D, type Pool2DLayerArgs } from './pooling.js';
export { type Callbacks, type CompileArgs, type FitArgs, type History, type Logs, Sequential } from './sequential.js';
