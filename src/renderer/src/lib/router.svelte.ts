// Hash routing: #/runs, #/new, #/run/ID, #/study/ID, #/compare/ID,ID,…, #/analyse[/ID,ID,…]
export type Route = { page: 'runs' } | { page: 'new' } | { page: 'run'; id: number } | { page: 'study'; id: number } | { page: 'compare'; ids: number[] } | { page: 'analyse'; ids: number[] } | { page: 'datasets' } | { page: 'cluster' };

function parse(hash: string): Route {
  const m = /^#\/run\/(\d+)$/.exec(hash);
  if (m) return { page: 'run', id: Number(m[1]) };
  const st = /^#\/study\/(\d+)$/.exec(hash);
  if (st) return { page: 'study', id: Number(st[1]) };
  if (hash === '#/new') return { page: 'new' };
  if (hash === '#/datasets') return { page: 'datasets' };
  if (hash === '#/cluster') return { page: 'cluster' };
  const c = /^#\/compare\/([\d,]+)$/.exec(hash);
  if (c) return { page: 'compare', ids: c[1]!.split(',').filter(Boolean).map(Number) };
  const a = /^#\/analyse(?:\/([\d,]*))?$/.exec(hash);
  if (a) return { page: 'analyse', ids: (a[1] ?? '').split(',').filter(Boolean).map(Number) };
  return { page: 'runs' };
}

export const router = $state({ route: parse(location.hash) });
window.addEventListener('hashchange', () => {
  router.route = parse(location.hash);
});

export function go(hash: string): void {
  location.hash = hash;
}
