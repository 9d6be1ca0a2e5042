// Names of the kernels that exist on the native backend only. Kept apart from kernels.ts so that the
// model code can ask for them without loading the CPU backend.
export const NATIVE_BACKEND = 'native';
export const RELU_GRAD = 'VggReluGrad';
export const SGD_UPDATE = 'VggSgdUpdate';
/** A whole VGG training step (forward, loss, backward, SGD) in one kernel; see step-plan.ts. */
export const TRAIN_STEP = 'VggTrainStep';
/** Evaluation's forward pass of a whole VGG network (crops, or the dense score map) in one kernel. */
export const FORWARD = 'VggForward';
