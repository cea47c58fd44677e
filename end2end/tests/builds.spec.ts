import { expect, test } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from './docker';
import { confirmedUser, createRepository, failOnConsoleProblems, ready, shot } from './helpers';

// Automated builds in the browser, with and without JavaScript: link a git repository (served by
// git-daemon on loopback), add a rule, "Build now", watch the log until the build succeeds, see
// the Automated badge and is_automated in search. The builds run on a `berth worker` process
// with a Docker engine of its own, sharing the test server's database and storage, as a build
// machine would.

const root = path.resolve(__dirname, '..', '..');

function git(dir: string, args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd: dir,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir },
    encoding: 'utf8',
  }).trim();
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
}

test.describe('automated builds', () => {
  test.describe.configure({ mode: 'serial', timeout: 180_000 });
  let engine: Engine | undefined;
  let daemon: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let gitUrl = '';

  test.beforeAll(async () => {
    // The worker shares the test server's data folder: a hub started elsewhere cannot be used.
    if (process.env.BERTH_E2E_BASE_URL || !process.env.BERTH_E2E_DATA) {
      throw new Error('the builds test needs the test server this config starts (its data folder), not BERTH_E2E_BASE_URL');
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-git-'));
    const src = path.join(dir, 'src');
    fs.mkdirSync(src);
    git(src, ['init', '-q', '-b', 'main']);
    fs.writeFileSync(path.join(src, 'hello.txt'), 'built in the browser test\n');
    fs.copyFileSync('/bin/busybox', path.join(src, 'busybox'));
    fs.chmodSync(path.join(src, 'busybox'), 0o755);
    // A few seconds between two lines of output, for the page to follow while the build runs.
    fs.writeFileSync(
      path.join(src, 'Dockerfile'),
      'FROM scratch\nCOPY busybox /bin/busybox\nCOPY hello.txt /hello.txt\nRUN ["/bin/busybox", "sh", "-c", "echo step one; /bin/busybox sleep 4; echo step two"]\n',
    );
    git(src, ['add', '.']);
    git(src, ['commit', '-q', '-m', 'An image from git']);
    const served = path.join(dir, 'served');
    fs.mkdirSync(served);
    git(dir, ['clone', '-q', '--bare', src, path.join(served, 'app.git')]);
    const port = await freePort();
    const execPath = git(dir, ['--exec-path']);
    daemon = spawn(path.join(execPath, 'git-daemon'), ['--reuseaddr', '--export-all', '--listen=127.0.0.1', `--port=${port}`, `--base-path=${served}`, served], { stdio: 'ignore' });
    gitUrl = `git://127.0.0.1:${port}/app.git`;
    engine = await Engine.start();
    worker = spawn(path.join(root, 'target', 'debug', 'berth'), ['worker'], {
      env: {
        ...process.env,
        BERTH_DATA_DIR: process.env.BERTH_E2E_DATA,
        BERTH_BUILD_DOCKER_HOST: engine.dockerHost,
        BERTH_WEBHOOK_ALLOW: '127.0.0.1',
        BERTH_BUILD_NETWORK: 'none',
        BERTH_LOG: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  });

  test.afterAll(async () => {
    await stop(worker);
    await stop(daemon);
    await engine?.stop();
  });

  for (const js of [true, false]) {
    test.describe(`${js ? 'with' : 'without'} JavaScript`, () => {
      test.use({ javaScriptEnabled: js });
      failOnConsoleProblems(js);

      test('link a git repository, add a rule, build now, watch the log, see the badge', async ({ page }) => {
        const mode = js ? 'js' : 'nojs';
        const owner = await confirmedUser(page, js, 'bld');
        await createRepository(page, js, 'app', 'Public', 'Built from git');
        await page.getByRole('link', { name: 'Builds', exact: true }).click();
        await expect(page).toHaveURL(new RegExp(`/r/${owner}/app/builds$`));
        await ready(page, js);

        // A metadata address is refused beside the field; then the real repository links.
        const source = page.locator('#source');
        await source.getByLabel('Git repository URL').fill('http://169.254.169.254/app.git');
        await source.getByRole('button', { name: 'Link repository' }).click();
        await expect(page.locator('#source .field-error')).toContainText('internal address');
        await page.locator('#source').getByLabel('Git repository URL').fill(gitUrl);
        await page.locator('#source').getByRole('button', { name: 'Link repository' }).click();
        await expect(page.getByText('Source saved.')).toBeVisible();
        await ready(page, js);
        await expect(page.locator('#trigger')).toContainText('/hooks/build/');
        const rules = page.locator('#rules');
        await expect(rules.locator('tbody tr')).toHaveCount(1);
        await expect(rules.locator('tbody tr').first()).toContainText('branch main');

        // A rule: a bad Dockerfile path is refused beside its field, then it saves.
        await rules.getByLabel('Source (branch or tag name)').fill('main');
        await rules.getByLabel('Docker tag').fill('stable');
        await rules.getByLabel('Dockerfile location').fill('../Dockerfile');
        await rules.getByRole('button', { name: 'Add rule' }).click();
        await expect(page.locator('#rules .field').filter({ hasText: 'Dockerfile location' }).locator('.field-error')).toContainText("no '..'");
        await page.locator('#rules').getByLabel('Dockerfile location').fill('Dockerfile');
        await page.locator('#rules').getByRole('button', { name: 'Add rule' }).click();
        await expect(page.getByText('Build rule saved.')).toBeVisible();
        await expect(page.locator('#rules tbody tr')).toHaveCount(2);
        await ready(page, js);
        await shot(page, `builds-settings-${mode}`);

        // Build now: the build page follows the log until the build has succeeded.
        await page.getByRole('button', { name: 'Build now: branch main → stable' }).click();
        await expect(page).toHaveURL(new RegExp(`/r/${owner}/app/builds/\\d+$`));
        if (js) {
          // Everything follows the build in place, the page is never reloaded (not even at the
          // end): the log grows, the status moves on, the commit and duration appear.
          await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
          await expect(page.locator('#build-log')).toContainText('step one', { timeout: 90_000 });
          await expect(page.locator('#build-status')).not.toContainText('succeeded');
          await expect(page.locator('#build-status')).not.toContainText('cloning', { timeout: 30_000 });
          await expect(page.locator('#build-commit')).toHaveText(/^[0-9a-f]{40}$/);
          await expect(page.locator('#build-commit-none')).toBeHidden();
          await expect(page.locator('#build-duration')).not.toHaveText('not started');
          expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
          // The first line of the log is not pushed over by a space.
          expect(await page.locator('#build-log').evaluate((el) => el.textContent?.[0])).not.toBe(' ');
        }
        await expect(page.locator('#build-log')).toContainText('COPY hello.txt /hello.txt', { timeout: 90_000 });
        await expect(page.locator('#build-status')).toContainText('succeeded', { timeout: 90_000 });
        await expect(page.locator('#build-status .badge-ok')).toBeVisible();
        await expect(page.locator('#build-tag-link')).toBeVisible();
        await expect(page.getByRole('button', { name: 'Cancel build' })).toBeHidden();
        if (js) {
          expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
        }
        await expect(page.locator('#build-log')).toContainText('step two');
        await expect(page.locator('#build-log')).toContainText('Pushed stable');
        await expect(page.locator('.build-facts')).toContainText('An image from git');
        await ready(page, js);
        await shot(page, `build-log-${mode}`);

        // The history lists it, filtered by status.
        await page.goto(`/r/${owner}/app/builds?status=succeeded`);
        await expect(page.locator('.build-row')).toHaveCount(1);
        await expect(page.locator('.build-row')).toContainText('stable');
        await page.goto(`/r/${owner}/app/builds?status=failed`);
        await expect(page.locator('.build-row')).toHaveCount(0);

        // The badge on the repository page and in search; is_automated for docker search.
        await page.goto(`/r/${owner}/app?tab=tags`);
        await expect(page.locator('.repo-title .badge-automated')).toHaveText('Automated');
        await expect(page.locator('.repo-title .badge-automated')).toHaveAttribute('title', `Built automatically from ${gitUrl}`);
        await expect(page.locator('main')).toContainText('stable');
        await page.goto(`/search?q=${owner}`);
        await expect(page.locator('.repo-item').filter({ hasText: `${owner}` }).locator('.badge-automated')).toBeVisible();
        const found = await (await page.request.get(`/v1/search?q=${owner}`)).json();
        expect(found.results.find((r: { name: string }) => r.name === `${owner}/app`).is_automated).toBe(true);

        // At a phone's width the pages keep to the screen.
        await page.setViewportSize({ width: 390, height: 844 });
        for (const [where, name] of [[`/r/${owner}/app/builds`, 'builds-page'], [`/r/${owner}/app/builds?status=succeeded`, 'builds-history']] as const) {
          await page.goto(where);
          await ready(page, js);
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
          await shot(page, `${name}-phone-${mode}`);
        }
        await page.locator('.build-row a').first().click();
        await ready(page, js);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
        await shot(page, `build-log-phone-${mode}`);
      });
    });
  }
});
