import { expect, test } from '@playwright/test';
import { Engine } from './docker';
import { PASSWORD, confirmedUser, createRepository, failOnConsoleProblems, ready, shot } from './helpers';

// The hub and a real Docker engine together: a private repository made in the browser, pushed to
// with `docker push`, seen on its page, hidden from others, shared with a collaborator who
// pushes too, and a tag deleted on the page that the registry no longer serves.
test.describe('with a real Docker engine', () => {
  test.use({ javaScriptEnabled: true });
  failOnConsoleProblems(true);

  let engine: Engine;
  test.beforeAll(async () => {
    test.setTimeout(120_000);
    engine = await Engine.start();
    engine.importImage('berth-e2e/base:1');
  });
  test.afterAll(async () => {
    await engine?.stop();
  });

  test('push to a private repository, collaborators, 404 for others, delete a tag', async ({ page, browser, baseURL }) => {
    test.setTimeout(240_000);
    const host = new URL(baseURL!).host;
    const owner = await confirmedUser(page, true, 'dko');
    await createRepository(page, true, 'app', 'Private', 'Pushed with docker');
    await expect(page).toHaveURL(new RegExp(`/r/${owner}/app\\?created=1$`));
    // The page gives the exact commands to tag and push.
    await expect(page.locator('.push-help code')).toHaveText(
      `docker tag my-image ${host}/${owner}/app:latest\ndocker push ${host}/${owner}/app:latest`,
    );

    // Push with docker, as the page says.
    expect(engine.login(owner, host, PASSWORD)).toContain('Login Succeeded');
    const image = `${host}/${owner}/app`;
    engine.ok(owner, ['tag', 'berth-e2e/base:1', `${image}:v1`]);
    const pushed = engine.ok(owner, ['push', `${image}:v1`]);
    const digest = /v1: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(pushed)?.[1];
    expect(digest, pushed).toBeTruthy();

    // The tag, its platform, compressed size, digest and pusher on the page.
    await page.goto(`/r/${owner}/app?tab=tags`);
    await ready(page, true);
    const row = page.locator('.tag-card', { has: page.getByRole('link', { name: 'v1', exact: true }) });
    await expect(row).toContainText('linux/amd64');
    await expect(row).toContainText(/\d(\.\d)? MB/);
    await expect(row).toContainText(`by ${owner}`);
    await expect(row.locator(`code[title="${digest}"]`)).toHaveText(digest!.slice(7, 19));
    await expect(row).toContainText(`docker pull ${image}:v1`);
    // Copy buttons put the full digest and the pull command on the clipboard.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await row.getByRole('button', { name: 'Copy the digest of v1' }).click();
    await expect(row.getByRole('button', { name: 'Copy the digest of v1' })).toHaveText('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(digest);
    await row.getByRole('button', { name: 'Copy the pull command of v1' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`docker pull ${image}:v1`);
    await shot(page, 'docker-pushed-tags');
    // The tag page shows the same image's layer and how it was built.
    await row.getByRole('link', { name: 'v1', exact: true }).click();
    await expect(page.getByRole('heading', { name: `${owner}/app:v1` })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'linux/amd64' })).toBeVisible();
    // The one build step, `docker import`, beside the size of the layer it made.
    await expect(page.locator('.layers li')).toHaveCount(1);
    await expect(page.locator('.steps li')).toHaveCount(1);
    await expect(page.locator('.steps li').nth(0)).toContainText('Imported from');
    await expect(page.locator('.steps li').nth(0)).toContainText(/\d(\.\d)? MB/);
    await shot(page, 'docker-tag-page');

    // Someone else, logged in or not, finds nothing there; docker cannot pull it either.
    const other = await browser.newContext({ baseURL });
    const otherPage = await other.newPage();
    const stranger = await confirmedUser(otherPage, true, 'dks');
    for (const path of [`/r/${owner}/app`, `/r/${owner}/app?tab=tags`, `/r/${owner}/app/tags/v1`]) {
      const res = await otherPage.goto(path);
      expect(res?.status(), path).toBe(404);
      await expect(otherPage.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    }
    const anonymous = await browser.newContext({ baseURL });
    const anonPage = await anonymous.newPage();
    expect((await anonPage.goto(`/r/${owner}/app`))?.status()).toBe(404);
    await anonymous.close();
    expect(engine.login(stranger, host, PASSWORD)).toContain('Login Succeeded');
    expect(engine.fails(stranger, ['pull', `${image}:v1`])).toContain('name unknown');

    // The owner makes the stranger a collaborator; now they see it and push to it.
    await page.goto(`/r/${owner}/app?tab=settings&section=access`);
    await ready(page, true);
    await page.getByLabel('Berth ID').fill(stranger);
    await page.getByRole('button', { name: 'Add collaborator' }).click();
    await expect(page.getByRole('link', { name: stranger, exact: true })).toBeVisible();
    engine.ok(stranger, ['tag', 'berth-e2e/base:1', `${image}:from-collaborator`]);
    const collaboratorPush = engine.ok(stranger, ['push', `${image}:from-collaborator`]);
    expect(collaboratorPush).toContain('from-collaborator: digest: sha256:');
    await otherPage.goto(`/r/${owner}/app?tab=tags`);
    await ready(otherPage, true);
    await expect(otherPage.locator('.tag-card', { hasText: 'from-collaborator' })).toContainText(`by ${stranger}`);
    // A collaborator neither manages nor deletes.
    await expect(otherPage.getByRole('link', { name: 'Settings' })).toHaveCount(0);
    await expect(otherPage.getByRole('link', { name: /Delete tag/ })).toHaveCount(0);
    await other.close();

    // Deleting v1 on the page removes it from the page and from the registry.
    await page.goto(`/r/${owner}/app?tab=tags`);
    await ready(page, true);
    await page.getByRole('link', { name: 'Delete tag v1' }).click();
    // Docker Hub asks first; so does Berth.
    await expect(page.getByRole('heading', { name: 'Delete the tag v1?' })).toBeVisible();
    await page.getByRole('button', { name: 'Delete tag' }).click();
    await expect(page.getByText('Tag v1 deleted.')).toBeVisible();
    await expect(page.getByRole('link', { name: 'v1', exact: true })).toHaveCount(0);
    await expect(page.locator('.tag-card', { hasText: 'from-collaborator' })).toBeVisible();
    engine.ok(owner, ['rmi', `${image}:v1`, `${image}:from-collaborator`]);
    expect(engine.fails(owner, ['pull', `${image}:v1`])).toMatch(/not found|manifest unknown/);
    expect(engine.ok(owner, ['pull', `${image}:from-collaborator`])).toContain(`${image}:from-collaborator`);
  });
});
