// What keeps the desktop window's renderer a web page and nothing more: its web preferences, the
// content security policy, and the guards on navigation and new windows. Kept apart from Electron's
// runtime (types only) so the rules are tested without an Electron binary.
import type { WebContents, WebPreferences } from 'electron';

export const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-src 'none'";

/** The renderer reaches the app only through the preload's bridge: no Node, isolated, sandboxed. */
export function secureWebPreferences(preload: string): WebPreferences {
  return { preload, contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true, webviewTag: false };
}

/** Links the system browser may open: web pages only (never file:, javascript: or custom schemes). */
export const isExternalLink = (url: string) => /^https?:\/\//i.test(url);

type Guarded = Pick<WebContents, 'setWindowOpenHandler' | 'on' | 'getURL'>;

/**
 * No new windows (web links go to the system browser instead), no navigation or redirect away from
 * the loaded app, no <webview>.
 */
export function guardNavigation(contents: Guarded, openExternal: (url: string) => Promise<void>): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) void openExternal(url);
    return { action: 'deny' };
  });
  const stayHome = (e: { preventDefault(): void }, url: string) => {
    if (url !== contents.getURL()) e.preventDefault();
  };
  contents.on('will-navigate', stayHome);
  contents.on('will-redirect', stayHome);
  contents.on('will-attach-webview', (e) => e.preventDefault());
}
