// The benchmark workloads named in the engine and native-backend issues.
import type { ConfigName } from '../../shared/domain';

export interface Workload {
  name: string;
  config: ConfigName;
  inputSize: number;
  width: number;
  classes: number;
  batch: number;
  /** Too heavy for the software adapters and pure JS: only on a GPU, libtensorflow or native. */
  heavy: boolean;
}

export const WORKLOADS: Workload[] = [
  { name: 'W1', config: 'D', inputSize: 32, width: 0.25, classes: 10, batch: 64, heavy: false },
  { name: 'W2', config: 'A', inputSize: 32, width: 0.125, classes: 10, batch: 32, heavy: false },
  { name: 'W3', config: 'D', inputSize: 224, width: 1, classes: 1000, batch: 8, heavy: true },
];
