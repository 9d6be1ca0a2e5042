// The application menu: the platform's standard roles (edit, view, window) and our pages.
import type { MenuItemConstructorOptions } from 'electron';

export const PAGES: readonly { label: string; hash: string; accelerator: string }[] = [
  { label: 'Runs', hash: '#/runs', accelerator: 'CmdOrCtrl+1' },
  { label: 'New run', hash: '#/new', accelerator: 'CmdOrCtrl+N' },
  { label: 'Analyse', hash: '#/analyse', accelerator: 'CmdOrCtrl+2' },
  { label: 'Datasets', hash: '#/datasets', accelerator: 'CmdOrCtrl+3' },
  { label: 'Cluster', hash: '#/cluster', accelerator: 'CmdOrCtrl+4' },
];

export function menuTemplate(navigate: (hash: string) => void, platform: NodeJS.Platform = process.platform): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  return [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [{ label: 'New run', accelerator: 'CmdOrCtrl+N', click: () => navigate('#/new') }, { type: 'separator' }, mac ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    { label: 'Go', submenu: PAGES.filter((p) => p.hash !== '#/new').map((p) => ({ label: p.label, accelerator: p.accelerator, click: () => navigate(p.hash) })) },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
}
