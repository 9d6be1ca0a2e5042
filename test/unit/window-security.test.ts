// The desktop window's rules, exercised on a stand-in for Electron's WebContents (the rules run the
// same in Electron; the Electron end-to-end test checks the live window where a binary exists).
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CSP, guardNavigation, isExternalLink, secureWebPreferences } from '../../src/main/window-security';

class FakeContents extends EventEmitter {
  handler: ((d: { url: string }) => { action: string }) | null = null;
  constructor(private readonly url: string) {
    super();
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
    this.handler = h;
  }
  getURL() {
    return this.url;
  }
  /** Emits like Electron: an event object whose preventDefault marks it refused. */
  attempt(name: string, url: string): boolean {
    let prevented = false;
    this.emit(name, { preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
}

describe('desktop window security', () => {
  it('gives the renderer no Node: isolated, sandboxed, no node integration anywhere, no webview', () => {
    const p = secureWebPreferences('/app/preload.cjs');
    expect(p).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true, webviewTag: false, preload: '/app/preload.cjs' });
  });

  it('refuses new windows, sending only web links to the system browser', () => {
    const c = new FakeContents('file:///app/index.html');
    const opened: string[] = [];
    guardNavigation(c as never, async (u) => void opened.push(u));
    for (const url of ['https://arxiv.org/abs/1409.1556', 'http://example.org/', 'file:///etc/passwd', 'javascript:alert(1)', 'vscode://x', 'data:text/html,hi'])
      expect(c.handler!({ url }).action).toBe('deny');
    expect(opened).toEqual(['https://arxiv.org/abs/1409.1556', 'http://example.org/']);
    expect(isExternalLink('HTTPS://EXAMPLE.ORG')).toBe(true);
  });

  it('blocks navigation and redirects away from the app, and any webview', () => {
    const c = new FakeContents('file:///app/index.html');
    guardNavigation(c as never, async () => undefined);
    expect(c.attempt('will-navigate', 'https://evil.example/')).toBe(true);
    expect(c.attempt('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(c.attempt('will-redirect', 'https://evil.example/')).toBe(true);
    expect(c.attempt('will-navigate', 'file:///app/index.html')).toBe(false);
    expect(c.attempt('will-attach-webview', 'https://evil.example/')).toBe(true);
  });

  it('allows only the app’s own scripts: no inline or eval’d code, no plugins, no frames', () => {
    const directives = Object.fromEntries(CSP.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['frame-src']).toEqual(["'none'"]);
    expect(CSP).not.toMatch(/unsafe-eval/);
  });
});
