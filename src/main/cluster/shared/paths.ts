// Where a cluster run's files are in the shared artifacts folder: the same layout as a data folder's
// runs/, one tree per store (data folder), so two desktops' run 7 never meet.
import path from 'node:path';

export const artifactsRunDir = (artifacts: string, store: string, runId: number) => path.join(artifacts, store, 'runs', String(runId));
