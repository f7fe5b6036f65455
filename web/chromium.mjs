// Debian's Chromium (apt-get install -y chromium), as the playground's tests, its benchmark and the
// README's screenshots launch it through playwright-core: headless, no sandbox (CI runs as root),
// and no network or updates of its own.
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
