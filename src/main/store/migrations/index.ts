// Ordered list of every migration the code knows. Append only; never edit a shipped one.
import type { Migration } from './types';
import { migration as m001 } from './001-initial';
import { migration as m002 } from './002-metric-series-index';
import { migration as m003 } from './003-covering-series-index';
import { migration as m004 } from './004-metric-blocks';
import { migration as m005 } from './005-run-owners';
import { migration as m006 } from './006-cluster-placement';
import { migration as m007 } from './007-studies';

export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m007];
export type { Migration };
