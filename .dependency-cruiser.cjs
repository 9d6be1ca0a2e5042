// The import rules of src/: dependencies point down the layers, never up, and never in a circle.
// Checked by test/unit/layers-graph.test.ts (and by hand: npx depcruise src --config .dependency-cruiser.cjs).
// From the ground up: src/shared (the contract) · the ground floor of src/main (paths, version,
// free-port, the native addon's loader) · vgg · data · store · training · evaluation · services
// (transport-free; the ports that higher layers implement) · cluster (implements the run placement
// port) · app.ts (the composition root) · cli, transports, bench, electron.ts (the edges).
const main = (dirs) => `^src/main/(${dirs.join('|')})(/|\\.ts$)`;
const GROUND = '^src/main/(paths|version|free-port|addon|window-security)\\.ts$';
const EDGES = ['cli', 'transports', 'bench', 'electron', 'app'];
const above = {
  vgg: ['data', 'store', 'training', 'evaluation', 'services', 'cluster', ...EDGES],
  data: ['store', 'training', 'evaluation', 'services', 'cluster', ...EDGES],
  store: ['training', 'evaluation', 'services', 'cluster', ...EDGES],
  training: ['evaluation', 'services', 'cluster', ...EDGES],
  evaluation: ['services', 'cluster', ...EDGES],
  services: ['cluster', ...EDGES],
  cluster: EDGES,
};

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'an import circle', severity: 'error', from: {}, to: { circular: true } },
    { name: 'shared-is-the-bottom', comment: 'the contract imports nothing of the app', severity: 'error', from: { path: '^src/shared' }, to: { path: '^src/(main|renderer|preload)' } },
    { name: 'ground-floor', comment: 'the ground floor imports nothing above it', severity: 'error', from: { path: GROUND }, to: { path: '^src/main/', pathNot: GROUND } },
    // Within the cluster: the desktop's side and the remote worker share only cluster/shared.
    { name: 'cluster-sides-apart', comment: "the desktop's side and the remote worker import each other only through cluster/shared", severity: 'error', from: { path: '^src/main/cluster/desktop' }, to: { path: '^src/main/cluster/remote' } },
    { name: 'cluster-sides-apart', severity: 'error', from: { path: '^src/main/cluster/remote' }, to: { path: '^src/main/cluster/desktop' } },
    { name: 'cluster-shared-is-shared', comment: 'what both sides use imports neither side', severity: 'error', from: { path: '^src/main/cluster/shared' }, to: { path: '^src/main/cluster/(desktop|remote)' } },
    ...Object.entries(above).map(([layer, higher]) => ({
      name: `${layer}-points-down`,
      comment: `${layer} imports nothing from a layer above it (${higher.join(', ')})`,
      severity: 'error',
      from: { path: main([layer]) },
      to: { path: main(higher) },
    })),
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.node.json' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    exclude: { path: '\\.d\\.mts$' },
  },
};
