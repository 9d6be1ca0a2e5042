// Learning-rate schedules: the paper's reduce-on-plateau, fixed steps, or none. Pure, and shared:
// the trainer applies them epoch by epoch, and the New-run form previews them before launch.
export interface ScheduleState {
  lr: number;
  best: number;
  bad: number;
  drops: number;
}

export interface ScheduleOptions {
  spec: string;
  lr: number;
  patience: number;
  maxDrops: number;
  minDelta: number;
  factor?: number;
}

export interface EpochDecision {
  /** New learning rate, if it changed after this epoch. */
  drop?: { from: number; to: number; reason: string };
  /** The schedule ends training (plateau after its last drop). */
  stop?: string;
  improved: boolean;
}

/** Each drop multiplies the rate by this (the paper: "decreased by a factor of 10"). */
export const DROP_FACTOR = 0.1;

export function initialSchedule(opts: ScheduleOptions): ScheduleState {
  return { lr: opts.lr, best: Number.NEGATIVE_INFINITY, bad: 0, drops: 0 };
}

export function parseStepEpochs(spec: string): number[] {
  return spec.startsWith('step:') ? spec.slice(5).split(',').map(Number) : [];
}

/**
 * The rate of one step under a linear warm-up (Goyal et al., 2017): over the first `warmupSteps`
 * steps (1-based) it climbs from lr/warmupSteps to lr, then it is the schedule's rate. Not in the
 * paper; an explicit option for deep nets whose first steps at the full rate kill every unit.
 */
export function warmupRate(lr: number, step: number, warmupSteps: number): number {
  return warmupSteps > 0 && step < warmupSteps ? (lr * step) / warmupSteps : lr;
}

/** Called after each epoch (1-based) with that epoch's validation top-1 accuracy. Mutates `state`. */
export function afterEpoch(state: ScheduleState, opts: ScheduleOptions, epoch: number, valTop1: number): EpochDecision {
  const factor = opts.factor ?? DROP_FACTOR;
  const improved = valTop1 > state.best + opts.minDelta;
  if (improved) {
    state.best = valTop1;
    state.bad = 0;
  } else state.bad += 1;
  const from = state.lr;
  if (opts.spec === 'plateau') {
    if (state.bad < opts.patience) return { improved };
    if (state.drops >= opts.maxDrops)
      return { improved, stop: `validation top-1 did not improve for ${opts.patience} epochs after the last of ${opts.maxDrops} drops` };
    state.lr = from * factor;
    state.drops += 1;
    state.bad = 0;
    return { improved, drop: { from, to: state.lr, reason: `plateau: validation top-1 did not improve for ${opts.patience} epoch${opts.patience === 1 ? "" : "s"}` } };
  }
  if (parseStepEpochs(opts.spec).includes(epoch)) {
    state.lr = from * factor;
    state.drops += 1;
    return { improved, drop: { from, to: state.lr, reason: `step schedule at epoch ${epoch}` } };
  }
  return { improved };
}

/** The learning rate per epoch as far as it is known before training (plateau: the first epoch's lr, then unknown drops). */
export function previewSchedule(opts: ScheduleOptions, epochs: number): { epoch: number; lr: number }[] {
  const steps = parseStepEpochs(opts.spec);
  const factor = opts.factor ?? DROP_FACTOR;
  const out: { epoch: number; lr: number }[] = [];
  let lr = opts.lr;
  for (let e = 1; e <= epochs; e++) {
    out.push({ epoch: e, lr });
    if (steps.includes(e)) lr *= factor;
  }
  return out;
}

/** The rates a plateau schedule can reach: the start, then one per drop, at most maxDrops of them. */
export function plateauLevels(opts: ScheduleOptions): number[] {
  // Multiplied drop by drop, as the trainer does, so each level is the rate it will record.
  const out = [opts.lr];
  for (let i = 0; i < opts.maxDrops; i++) out.push(out.at(-1)! * (opts.factor ?? DROP_FACTOR));
  return out;
}

/** The step schedule's stretches of equal rate, for the preview: epochs from–to at lr. */
export function stepSegments(opts: ScheduleOptions, epochs: number): { from: number; to: number; lr: number }[] {
  const out: { from: number; to: number; lr: number }[] = [];
  for (const { epoch, lr } of previewSchedule(opts, epochs)) {
    const last = out.at(-1);
    if (last && last.lr === lr) last.to = epoch;
    else out.push({ from: epoch, to: epoch, lr });
  }
  return out;
}
