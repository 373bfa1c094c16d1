/**
 * Headless Chromium for the tests that look at report.html as a person would. Debian's
 * package is installed on first use (scripts/ensure-chromium.sh: apt-get, ~20 s here, a few
 * minutes on a bare machine); playwright-core drives it, since no browser can be downloaded.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const ROOT = path.resolve(__dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
// No sandbox (root in CI), no network beyond what the page asks for, nothing in the background.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Installs Chromium when it is missing, then launches it headless. */
export async function launchChromium(): Promise<Browser> {
  execFileSync('bash', [path.join(ROOT, 'scripts/ensure-chromium.sh')], { stdio: 'inherit', timeout: 15 * 60_000 });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
