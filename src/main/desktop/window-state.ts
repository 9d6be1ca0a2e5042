// The desktop window's size, position and maximised state, kept across launches in a small JSON
// file beside Electron's own settings. What is read back is checked: a damaged file gives the
// default window, and a window that would open off every screen (a monitor unplugged) is moved onto
// the primary one.
import fs from 'node:fs';
import path from 'node:path';

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface Area {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_WINDOW: WindowState = { width: 1280, height: 860, maximized: false };
const MIN = { width: 640, height: 480 };

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The saved state fitted to the screens' work areas (the first is the primary), or the default. */
export function fitWindow(saved: unknown, areas: readonly Area[]): WindowState {
  const s = saved as Partial<WindowState> | null;
  if (!s || !num(s.width) || !num(s.height)) return { ...DEFAULT_WINDOW };
  const primary = areas[0] ?? { x: 0, y: 0, width: DEFAULT_WINDOW.width, height: DEFAULT_WINDOW.height };
  const width = Math.round(Math.min(Math.max(s.width, MIN.width), primary.width));
  const height = Math.round(Math.min(Math.max(s.height, MIN.height), primary.height));
  const out: WindowState = { width, height, maximized: s.maximized === true };
  if (!num(s.x) || !num(s.y)) return out;
  // At least 100 × 50 px of the title bar on some screen, or the window is put back on the primary.
  const visible = areas.some((a) => s.x! + width - 100 >= a.x && s.x! + 100 <= a.x + a.width && s.y! >= a.y && s.y! + 50 <= a.y + a.height);
  if (visible) return { ...out, x: Math.round(s.x), y: Math.round(s.y) };
  return { ...out, x: Math.round(primary.x + (primary.width - width) / 2), y: Math.round(primary.y + (primary.height - height) / 2) };
}

export function loadWindowState(file: string, areas: readonly Area[]): WindowState {
  try {
    return fitWindow(JSON.parse(fs.readFileSync(file, 'utf8')), areas);
  } catch {
    return fitWindow(null, areas);
  }
}

/** Written whole to a temporary file and renamed, so a crash mid-write leaves the old state. */
export function saveWindowState(file: string, state: WindowState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, file);
}
