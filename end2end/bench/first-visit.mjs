// First visit of a repository page in Chromium with an empty cache: how many bytes it
// transfers and how long until it is shown and until its islands are interactive. Runs the
// release `berth` on a fresh data folder; on loopback and on a throttled link (10 Mbit/s,
// 40 ms round trip), five cold visits each; prints medians. Part of `make bench`.
import { chromium } from '@playwright/test';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const berth = path.join(root, 'target', 'release', 'berth');
const PASSWORD = 'first visit password';
const VISITS = 5;

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const sha256 = (b) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const data = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-visit-'));
const env = { ...process.env, BERTH_DATA_DIR: data, BERTH_LOG: 'warn', BERTH_SITE_ROOT: path.join(root, 'target', 'site') };
execFileSync(berth, ['user', 'add', 'visitor', '--email', 'visitor@example.com', '--password-stdin', '--confirmed'], { input: PASSWORD, env });
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(berth, ['serve'], { env: { ...env, BERTH_ADDR: `127.0.0.1:${port}` }, stdio: 'ignore' });
try {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  // A repository with a tag and an overview, as visitors find it.
  const auth = 'Basic ' + Buffer.from(`visitor:${PASSWORD}`).toString('base64');
  const { token } = await (await fetch(`${base}/token?service=x&scope=repository:visitor/app:pull,push`, { headers: { authorization: auth } })).json();
  const headers = { authorization: `Bearer ${token}` };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layer = Buffer.alloc(4096, 7);
  for (const blob of [config, layer]) {
    await fetch(`${base}/v2/visitor/app/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: blob });
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
  });
  await fetch(`${base}/v2/visitor/app/manifests/latest`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest });

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  console.log(`\nFirst visit of a repository page (${base}/r/visitor/app), Chromium, empty cache, ${VISITS} visits each; medians\n`);
  console.log('| link | bytes transferred | first contentful paint | load | interactive (islands hydrated) |');
  console.log('|---|---|---|---|---|');
  for (const [label, throttle] of [
    ['loopback', null],
    ['10 Mbit/s, 40 ms RTT', { offline: false, latency: 40, downloadThroughput: (10 * 1024 * 1024) / 8, uploadThroughput: (5 * 1024 * 1024) / 8 }],
  ]) {
    const runs = { bytes: [], fcp: [], load: [], interactive: [] };
    for (let v = 0; v < VISITS; v++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      if (throttle) await cdp.send('Network.emulateNetworkConditions', throttle);
      let bytes = 0;
      cdp.on('Network.loadingFinished', (e) => (bytes += e.encodedDataLength));
      const started = Date.now();
      await page.goto(`${base}/r/visitor/app`, { waitUntil: 'load' });
      await page.locator('body[data-hydrated="true"]').waitFor();
      const interactive = Date.now() - started;
      const timing = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        return { load: nav.loadEventEnd, fcp: fcp ? fcp.startTime : NaN };
      });
      runs.bytes.push(bytes);
      runs.fcp.push(timing.fcp);
      runs.load.push(timing.load);
      runs.interactive.push(interactive);
      await context.close();
    }
    console.log(
      `| ${label} | ${(median(runs.bytes) / 1024).toFixed(1)} KiB | ${median(runs.fcp).toFixed(0)} ms | ${median(runs.load).toFixed(0)} ms | ${median(runs.interactive).toFixed(0)} ms |`,
    );
  }
  await browser.close();
} finally {
  server.kill();
  fs.rmSync(data, { recursive: true, force: true });
}
