// Ordered list of every migration the code knows. Append only; never edit a shipped one.
import type { Migration } from './types';
import { migration as m001 } from './001-initial';

export const MIGRATIONS: readonly Migration[] = [m001];
export type { Migration };
