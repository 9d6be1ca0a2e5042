// The benchmark workloads named in the engine and native-backend issues.
import type { ConfigName } from '../../shared/domain';

export interface Workload {
  name: string;
  config: ConfigName;
  inputSize: number;
  width: number;
  classes: number;
  batch: number;
  /** How much work a step is; each backend says the heaviest it runs in bench time (BackendModule.benchUpTo). */
  weight: WorkloadWeight;
}

export const WORKLOAD_WEIGHTS = ['light', 'medium', 'heavy'] as const;
export type WorkloadWeight = (typeof WORKLOAD_WEIGHTS)[number];

export const WORKLOADS: Workload[] = [
  { name: 'W1', config: 'D', inputSize: 32, width: 0.25, classes: 10, batch: 64, weight: 'medium' },
  { name: 'W2', config: 'A', inputSize: 32, width: 0.125, classes: 10, batch: 32, weight: 'light' },
  { name: 'W3', config: 'D', inputSize: 224, width: 1, classes: 1000, batch: 8, weight: 'heavy' },
];
