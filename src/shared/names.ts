// The fixed vocabularies (configurations, backends, statuses, protocols), free of any schema library
// so the UI's first screen can use them without loading zod.
export const CONFIG_NAMES = ['A', 'A-LRN', 'B', 'C', 'D', 'E'] as const;
export type ConfigName = (typeof CONFIG_NAMES)[number];

export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'native', 'torch', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export const BACKEND_CHOICES = ['auto', ...BACKEND_NAMES] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** The step's arithmetic: fp32, or mixed precision with fp32 weights (which backend takes which: BackendInfo.precisions). */
export const PRECISIONS = ['fp32', 'bf16', 'fp16'] as const;
export type Precision = (typeof PRECISIONS)[number];

/**
 * How the native backend computes its 3×3 convolutions: auto (each shape timed direct and Winograd at
 * its first use, the faster kept), direct, or winograd (wherever oneDNN takes the shape).
 */
export const CONV_ALGORITHMS = ['auto', 'direct', 'winograd'] as const;
export type ConvAlgorithm = (typeof CONV_ALGORITHMS)[number];

export const RUN_STATUSES = ['queued', 'running', 'completed', 'diverged', 'failed', 'stopped', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Where a run trains: in this process's worker threads, or on a cluster worker through the queue. */
export const PLACEMENTS = ['local', 'cluster'] as const;
export type Placement = (typeof PLACEMENTS)[number];

export const PROTOCOLS = ['center', 'dense', 'multicrop', 'dense+multicrop'] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];
