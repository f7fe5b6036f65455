import { afterEach, describe, expect, it, vi } from 'vitest';
import { colorEnabled, errorLine, previewWidth, progressEnabled } from './term.js';

/** Just what the helpers read of a stream. */
function stream(isTTY: boolean, columns?: number): NodeJS.WriteStream {
  return { isTTY, columns } as NodeJS.WriteStream;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('previewWidth', () => {
  it('leaves 4 columns of the terminal, up to 64, and 80 columns when piped', () => {
    expect(previewWidth(stream(true, 200))).toBe(64);
    expect(previewWidth(stream(true, 40))).toBe(36);
    expect(previewWidth(stream(false))).toBe(64);
  });

  it('is 1 on a terminal narrower than 5 columns (terminalPreview refuses 0 and less)', () => {
    expect(previewWidth(stream(true, 4))).toBe(1);
    expect(previewWidth(stream(true, 1))).toBe(1);
  });
});

describe('progressEnabled', () => {
  it('on a terminal outside CI', () => {
    vi.stubEnv('CI', '');
    vi.stubEnv('TERM', 'xterm-256color');
    expect(progressEnabled(stream(true))).toBe(true);
    expect(progressEnabled(stream(false))).toBe(false);
  });

  it('not under CI, but CI=false is not CI (as ci-info reads it)', () => {
    vi.stubEnv('TERM', 'xterm');
    vi.stubEnv('CI', 'true');
    expect(progressEnabled(stream(true))).toBe(false);
    vi.stubEnv('CI', 'false');
    expect(progressEnabled(stream(true))).toBe(true);
  });

  it('not on a dumb terminal, which cannot move its cursor back to redraw the bar', () => {
    vi.stubEnv('CI', '');
    vi.stubEnv('TERM', 'dumb');
    expect(progressEnabled(stream(true))).toBe(false);
  });
});

describe('colorEnabled', () => {
  it('on a terminal, not when piped, not on a dumb terminal', () => {
    vi.stubEnv('NO_COLOR', undefined);
    vi.stubEnv('FORCE_COLOR', undefined);
    vi.stubEnv('TERM', 'xterm');
    expect(colorEnabled(stream(true))).toBe(true);
    expect(colorEnabled(stream(false))).toBe(false);
    vi.stubEnv('TERM', 'dumb');
    expect(colorEnabled(stream(true))).toBe(false);
  });

  it('NO_COLOR turns it off unless empty (no-color.org)', () => {
    vi.stubEnv('FORCE_COLOR', undefined);
    vi.stubEnv('TERM', 'xterm');
    vi.stubEnv('NO_COLOR', '1');
    expect(colorEnabled(stream(true))).toBe(false);
    vi.stubEnv('NO_COLOR', '');
    expect(colorEnabled(stream(true))).toBe(true);
  });

  it("FORCE_COLOR as Node reads it: '', 1 or true on, even piped; 0 or false off, even on a terminal", () => {
    vi.stubEnv('NO_COLOR', undefined);
    vi.stubEnv('TERM', 'xterm');
    for (const on of ['', '1', '3', 'true']) {
      vi.stubEnv('FORCE_COLOR', on);
      expect(colorEnabled(stream(false)), `FORCE_COLOR=${on}`).toBe(true);
    }
    for (const off of ['0', 'false']) {
      vi.stubEnv('FORCE_COLOR', off);
      expect(colorEnabled(stream(true)), `FORCE_COLOR=${off}`).toBe(false);
    }
  });
});

describe('errorLine', () => {
  it('keeps a message quoting a file name on one line, its control characters written out', () => {
    vi.stubEnv('NO_COLOR', '1');
    expect(errorLine('odd\x1b]0;title\x07\n.png: no such file or directory')).toBe(
      'convlens: odd\\x1b]0;title\\x07\\n.png: no such file or directory\n',
    );
  });
});
