import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// One Berth server for the run, on a fresh data folder. The config is evaluated again in each
// worker; the environment set here on the first evaluation makes them all agree.
// BERTH_E2E_BASE_URL points the tests at a hub started elsewhere instead (the replica test's
// proxy, which also sets BERTH_E2E_MAILDIR for the mail).
const external = process.env.BERTH_E2E_BASE_URL;
const port = Number(process.env.BERTH_E2E_PORT ?? 3917);
process.env.BERTH_E2E_PORT = String(port);
process.env.BERTH_E2E_DATA ??= fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-'));
const dataDir = process.env.BERTH_E2E_DATA;
const root = path.resolve(__dirname, '..');

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: external ?? `http://127.0.0.1:${port}`,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  webServer: external ? undefined : {
    command: `${path.join(root, 'target/debug/berth')} serve`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      BERTH_ADDR: `127.0.0.1:${port}`,
      BERTH_DATA_DIR: dataDir,
      BERTH_SITE_ROOT: path.join(root, 'target/site'),
      BERTH_LOG: 'warn',
      // Every test's browser comes from 127.0.0.1: per-address limits (sign-ups, resets) scaled
      // as for an office behind one address. The limits themselves are tested in server/tests.
      BERTH_ADDRESS_LIMIT_SCALE: '100',
      // The webhook test's receiver listens on loopback, which the address guard refuses unless allowed.
      BERTH_WEBHOOK_ALLOW: '127.0.0.1',
    },
  },
});
