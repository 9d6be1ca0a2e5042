// TF.js's pure-JavaScript CPU backend: always there, slowest.
import { useTfBackend, type BackendModule } from './types';

export const cpu: BackendModule = {
  name: 'cpu',
  installHint: '',
  onGpu: () => false,
  // Pure JavaScript: only the lightest workload finishes in bench time.
  benchUpTo: () => 'light',
  reuseWorker: false,
  probe: async () => ({ available: true, device: 'CPU (pure JavaScript)', reason: null }),
  async activate(tf) {
    await import('@tensorflow/tfjs-backend-cpu');
    await useTfBackend(tf, 'cpu', 'cpu');
    return {};
  },
};
