import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { PASSWORD, linkIn, logOut, ready, shot, signUp, uniqueName, waitForMail, failOnConsoleProblems } from './helpers';

/** Signs up and confirms from the mail, which logs in. */
async function confirmedUser(page: Page, js: boolean, tag: string): Promise<string> {
  const name = uniqueName(tag);
  await signUp(page, js, name);
  await page.goto(linkIn(await waitForMail(`${name}@example.com`), '/confirm-email'));
  await expect(page).toHaveURL(/\/\?confirmed=1$/);
  return name;
}

async function createRepository(page: Page, js: boolean, name: string, visibility: 'Public' | 'Private', description = '') {
  await page.goto('/repositories/new');
  await ready(page, js);
  await page.getByLabel('Repository name').fill(name);
  await page.getByLabel('Short description').fill(description);
  await page.getByLabel(visibility).check();
  await page.getByRole('button', { name: 'Create' }).click();
}

const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** Pushes a one-layer linux/amd64 image through the registry API, as a client does. */
async function pushImage(baseURL: string, user: string, repo: string, tag: string) {
  const auth = 'Basic ' + Buffer.from(`${user}:${PASSWORD}`).toString('base64');
  const res = await fetch(`${baseURL}/token?service=berth&scope=repository:${repo}:pull,push`, { headers: { authorization: auth } });
  const { token } = (await res.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}` };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layer = Buffer.alloc(2048, 7);
  for (const blob of [config, layer]) {
    const put = await fetch(`${baseURL}/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: blob,
    });
    expect(put.status).toBe(201);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
  });
  const put = await fetch(`${baseURL}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  expect(put.status).toBe(201);
}

for (const js of [true, false]) {
  const mode = js ? 'with JavaScript' : 'without JavaScript';
  const tag = js ? 'rjs' : 'rno';

  test.describe(mode, () => {
    test.use({ javaScriptEnabled: js });

    failOnConsoleProblems(js);

    test('create public and private repositories, quota, tags, overview, settings, 404s', async ({ page, baseURL }) => {
      let dialogs = 0;
      page.on('dialog', (d) => {
        dialogs += 1;
        void d.dismiss();
      });
      const name = await confirmedUser(page, js, tag);

      // A bad name is explained next to the field.
      await createRepository(page, js, 'Not Valid', 'Public');
      await expect(page.getByText('Use lowercase letters and digits')).toBeVisible();

      await createRepository(page, js, 'webapp', 'Public', 'A small web app');
      await expect(page).toHaveURL(new RegExp(`/r/${name}/webapp\\?created=1$`));
      await ready(page, js);
      await expect(page.getByRole('heading', { name: `${name}/webapp` })).toBeVisible();
      await expect(page.getByText('Repository created.')).toBeVisible();
      await expect(page.getByText(`docker pull ${new URL(baseURL!).host}/${name}/webapp`, { exact: true })).toBeVisible();
      await shot(page, `${tag}-repository-created`);

      await createRepository(page, js, 'secret', 'Private');
      await expect(page).toHaveURL(new RegExp(`/r/${name}/secret\\?created=1$`));
      await createRepository(page, js, 'secret2', 'Private');
      await expect(page.getByText('Your plan allows 1 private repository and you have 1.')).toBeVisible();
      await shot(page, `${tag}-repository-quota`);

      // A pushed image in the tags tab.
      await pushImage(baseURL!, name, `${name}/webapp`, 'v1');
      await page.goto(`/r/${name}/webapp?tab=tags`);
      await ready(page, js);
      const row = page.getByRole('row', { name: /v1/ });
      await expect(row).toContainText('linux/amd64');
      await expect(row).toContainText('2.0 kB');
      await expect(row).toContainText(`by ${name}`);
      await shot(page, `${tag}-repository-tags`);

      // The overview, with payloads that must do nothing.
      await page.goto(`/r/${name}/webapp?tab=settings`);
      await ready(page, js);
      await page.getByLabel('Overview (Markdown)').fill(
        '# Hello from Berth\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click me](javascript:alert(3))\n\n<iframe src="https://example.com"></iframe>',
      );
      await page.getByRole('button', { name: 'Save' }).click();
      await expect(page.getByText('Saved.')).toBeVisible();
      await page.goto(`/r/${name}/webapp`);
      await ready(page, js);
      const article = page.locator('article.markdown');
      await expect(article.getByRole('heading', { name: 'Hello from Berth' })).toBeVisible();
      await expect(article.locator('script, iframe, [onerror]')).toHaveCount(0);
      await expect(article.getByText('click me')).not.toHaveAttribute('href', /javascript/);
      await article.getByText('click me').click();
      expect(dialogs, 'no script ran').toBe(0);
      await shot(page, `${tag}-repository-overview`);

      // Deleting the tag from the tags tab.
      await page.goto(`/r/${name}/webapp?tab=tags`);
      await ready(page, js);
      await page.getByRole('button', { name: 'Delete tag v1' }).click();
      await expect(page.getByText('Tag deleted.')).toBeVisible();
      await expect(page.getByText('No tags yet')).toBeVisible();

      // Logged out, the private repository does not exist; the public one does.
      await logOut(page);
      const res = await page.goto(`/r/${name}/secret`);
      expect(res?.status()).toBe(404);
      await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
      await page.goto(`/u/${name}`);
      await expect(page.getByRole('link', { name: `${name}/webapp` })).toBeVisible();
      await expect(page.getByText(`${name}/secret`)).toHaveCount(0);
    });
  });
}
