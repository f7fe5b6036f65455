export { Activation, type ActivationLayerArgs } from './activation.js';
export type { ActivationIdentifier } from './activations.js';
export type { DataFormat, ImageDataFormat } from './args.js';
export type { LayerJson, ModelArtifacts, ModelJson, SaveOptions, WeightSpec, WeightsGroup } from './artifacts.js';
export { BatchNormalization, type BatchNormalizationLayerArgs } from './batch_normalization.js';
export type { BorderPairs, Borders2D } from './borders.js';
export {
  type Callbacks,
  EarlyStopping,
  type EarlyStoppingArgs,
  earlyStopping,
  type History,
  type HistoryParams,
  type Logs,
  type TrainingModel,
} from './callbacks.js';
export { Conv2D, type Conv2DLayerArgs } from './conv2d.js';
export { Conv2DTranspose, type Conv2DTransposeLayerArgs } from './conv2d_transpose.js';
export { Cropping2D, type Cropping2DLayerArgs } from './cropping.js';
export { CSVLogger, type CSVLoggerArgs, csvLogger } from './csv_logger.js';
export type { DatasetEvaluateOptions, DatasetFitArgs } from './dataset_training.js';
export type { BatchArray, BatchArrays, BatchDataset, DataBatch, TfjsDataset, TfjsIterator, TfjsTensor } from './datasets.js';
export { Dense, type DenseLayerArgs } from './dense.js';
export { DepthwiseConv2D, type DepthwiseConv2DLayerArgs } from './depthwise_conv2d.js';
export { Dropout, type DropoutArgs, type DropoutLayerArgs } from './dropout.js';
export type { KerasScores } from './evaluate_result.js';
export { Flatten, type FlattenLayerArgs } from './flatten.js';
export {
  Functional,
  type FunctionalArgs,
  type FunctionalEvaluateOptions,
  type FunctionalFitArgs,
  type FunctionalInput,
  type FunctionalNode,
} from './functional.js';
export { Input, Input as input, type InputArgs, type ModelArgs, model } from './functional_api.js';
export { GaussianNoise, type GaussianNoiseLayerArgs } from './gaussian_noise.js';
export {
  GlobalAveragePooling2D,
  GlobalAveragePooling2D as GlobalAvgPool2D,
  GlobalMaxPooling2D,
  GlobalMaxPooling2D as GlobalMaxPool2D,
  type GlobalPool2DLayerArgs,
} from './global_pooling.js';
export { rescalesItsInput } from './image_layout.js';
export { type InputGradient, type InputGradientOptions, inputGradient } from './input_gradient.js';
export { kerasArtifacts, kerasWeightsArtifacts } from './keras_file.js';
export { type KerasSavableModel, kerasH5Bytes, kerasWeightsBytes } from './keras_save.js';
export { LambdaCallback, type LambdaCallbackArgs, lambdaCallback } from './lambda_callback.js';
export { Layer, type LayerArgs, resetNames, Weight, type WeightSettings } from './layer.js';
export { LayerNormalization, type LayerNormalizationLayerArgs } from './layer_normalization.js';
export type { LayerOutput, LayerOutputsOptions } from './layer_paths.js';
export { LeakyReLU, type LeakyReLULayerArgs } from './leaky_relu.js';
export type { ClassWeight, ClassWeightArg } from './loss_weights.js';
export { type EpochSchedule, LearningRateScheduler, ReduceLROnPlateau, type ReduceLROnPlateauArgs } from './lr_callbacks.js';
export {
  Add,
  Average,
  Concatenate,
  type ConcatenateLayerArgs,
  Maximum,
  MergeLayer,
  Minimum,
  Multiply,
  Subtract,
} from './merge.js';
export { add, average, concatenate, maximum, minimum, multiply, subtract } from './merge_functions.js';
export { ModelCheckpoint, type ModelCheckpointArgs, modelCheckpoint } from './model_checkpoint.js';
export type { TrainOnBatchOptions } from './on_batch.js';
export { AvgPool2D, AvgPool2D as AveragePooling2D, MaxPool2D, MaxPool2D as MaxPooling2D, type Pool2DLayerArgs } from './pooling.js';
export type { DatasetPredictOptions } from './predict_dataset.js';
export type { FillMode, Interpolation } from './projective_transform.js';
export { RandomBrightness, type RandomBrightnessLayerArgs } from './random_brightness.js';
export { RandomContrast, type RandomContrastLayerArgs } from './random_contrast.js';
export { type FlipMode, RandomFlip, type RandomFlipLayerArgs } from './random_flip.js';
export {
  type GeometricLayerArgs,
  RandomRotation,
  type RandomRotationLayerArgs,
  RandomTranslation,
  type RandomTranslationLayerArgs,
  RandomZoom,
  type RandomZoomLayerArgs,
} from './random_geometric.js';
export type { RandomImageLayerArgs } from './random_image_layer.js';
export { ReLU, type ReLULayerArgs } from './relu.js';
export { Rescaling, type RescalingLayerArgs } from './rescaling.js';
export { Reshape, type ReshapeLayerArgs } from './reshape.js';
export { SeparableConv2D, type SeparableConv2DLayerArgs } from './separable_conv2d.js';
export { type CompileArgs, type EvaluateResult, type FitArgs, Sequential } from './sequential.js';
export { fromArtifacts, functionalFromArtifacts, loadFunctional, loadModel, type WeightData } from './serialization.js';
export type { Shape } from './shapes.js';
export { Softmax, type SoftmaxLayerArgs } from './softmax.js';
export { SpatialDropout2D, type SpatialDropout2DLayerArgs } from './spatial_dropout.js';
export { type SymbolicSource, SymbolicTensor } from './symbolic.js';
export { TerminateOnNaN, type TerminateOnNaNArgs, terminateOnNaN } from './terminate_on_nan.js';
export type { EvaluateOptions } from './training_loop.js';
export type { MultiCompileArgs, MultiInputs, MultiLabels, MultiSampleWeight } from './training_multi.js';
export { UpSampling2D, type UpSampling2DLayerArgs, type UpSamplingInterpolation } from './up_sampling.js';
export type { ActivityOptions, WeightPenaltyOptions, WeightRole } from './weight_settings.js';
export type { LoadWeightsOptions, WeightsArtifacts, WeightsJson, WeightsSource } from './weights_file.js';
export { type Padding2D, ZeroPadding2D, type ZeroPadding2DLayerArgs } from './zero_padding.js';
