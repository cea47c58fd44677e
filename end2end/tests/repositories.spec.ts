import { expect, test, type Page } from '@playwright/test';
import { PASSWORD, addAdmin, confirmedUser, createRepository, logIn, logOut, pushImage, ready, shot, failOnConsoleProblems, uniqueName } from './helpers';

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
      await expect(page.getByRole('heading', { name: `${name} / webapp` })).toBeVisible();
      await expect(page.getByText('Repository created.')).toBeVisible();
      // Empty: the push commands, not a pull command that could only fail.
      await expect(page.getByText('This repository is empty: push an image')).toBeVisible();
      await expect(page.getByText(`docker push ${new URL(baseURL!).host}/${name}/webapp:latest`)).toBeVisible();
      await expect(page.getByText('Pull this image')).toHaveCount(0);
      await shot(page, `${tag}-repository-created`);

      await createRepository(page, js, 'secret', 'Private');
      await expect(page).toHaveURL(new RegExp(`/r/${name}/secret\\?created=1$`));
      await createRepository(page, js, 'secret2', 'Private');
      await expect(page.getByText('Your plan allows 1 private repository and you have 1.')).toBeVisible();
      await shot(page, `${tag}-repository-quota`);
      // Making a public one private is held to the same plan, once its name is typed.
      await page.goto(`/r/${name}/webapp?tab=settings`);
      await ready(page, js);
      await page.getByLabel('Private —').check();
      await page.getByRole('button', { name: 'Change visibility' }).click();
      await expect(page.getByText('Type webapp to confirm.', { exact: true })).toBeVisible();
      await ready(page, js);
      await page.getByLabel('Private —').check();
      await page.getByLabel('Type the repository name to confirm').fill('webapp');
      await page.getByRole('button', { name: 'Change visibility' }).click();
      await expect(page.getByText('Your plan allows 1 private repository and you have 1.')).toBeVisible();
      await expect(page.locator('.repo-title .badge')).toHaveText('Public');

      // A pushed image in the tags tab.
      await pushImage(baseURL!, name, `${name}/webapp`, 'v1');
      await page.goto(`/r/${name}/webapp?tab=tags`);
      await ready(page, js);
      const row = page.locator('.tag-card', { has: page.getByRole('link', { name: 'v1', exact: true }) });
      await expect(row).toContainText('linux/amd64');
      await expect(row).toContainText('2.0 kB');
      await expect(row).toContainText(`by ${name}`);
      await shot(page, `${tag}-repository-tags`);

      // The overview, edited in place on its tab, with payloads that must do nothing.
      await page.goto(`/r/${name}/webapp`);
      await ready(page, js);
      await page.getByRole('link', { name: 'Write an overview' }).click();
      await ready(page, js);
      await page.getByLabel('Overview (Markdown)').fill(
        '# Hello from Berth\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click me](javascript:alert(3))\n\n<iframe src="https://example.com"></iframe>\n\n| a | b |\n|---|---|\n| 1 | 2 |',
      );
      if (js) {
        // The preview is sanitised the same way.
        await page.getByRole('button', { name: 'Preview' }).click();
        const preview = page.locator('.preview article.markdown');
        await expect(preview.getByRole('heading', { name: 'Hello from Berth' })).toBeVisible();
        await expect(preview.locator('script, iframe, [onerror]')).toHaveCount(0);
        await expect(preview.locator('table td')).toHaveCount(2);
      }
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await expect(page.getByText('Descriptions saved.')).toBeVisible();
      await expect(page).toHaveURL(new RegExp(`/r/${name}/webapp\\?saved=descriptions$`));
      await expect(page.getByRole('link', { name: 'Edit overview' })).toBeVisible();
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
      await page.getByRole('link', { name: 'Delete tag v1' }).click();
      await expect(page.getByRole('heading', { name: 'Delete the tag v1?' })).toBeVisible();
      await page.getByRole('link', { name: 'Cancel' }).click();
      await expect(page.getByRole('heading', { name: `${name}/webapp:v1` })).toBeVisible();
      await page.getByRole('link', { name: 'Delete tag' }).click();
      await page.getByRole('button', { name: 'Delete tag' }).click();
      await expect(page.getByText('Tag v1 deleted.')).toBeVisible();
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

    test('default privacy in account settings, and an administrator raises the private quota', async ({ page, browser, baseURL }) => {
      const name = await confirmedUser(page, js, `${tag}s`);
      await page.locator('.user-menu summary').click();
      await page.getByRole('link', { name: 'Account settings' }).click();
      await expect(page).toHaveURL(/\/settings$/);
      await ready(page, js);
      await expect(page.getByText('0 of 1 private repository used.')).toBeVisible();
      await expect(page.getByLabel('Public')).toBeChecked();
      await page.getByLabel('Private').check();
      await page.getByRole('button', { name: 'Save default' }).click();
      await expect(page.getByText('Saved.')).toBeVisible();
      await page.reload();
      await ready(page, js);
      await expect(page.getByLabel('Private')).toBeChecked();
      await shot(page, `${tag}-account-settings`);

      await createRepository(page, js, 'one', 'Private');
      await expect(page).toHaveURL(new RegExp(`/r/${name}/one\\?created=1$`));
      await createRepository(page, js, 'two', 'Private');
      await expect(page.getByText('Your plan allows 1 private repository and you have 1.')).toBeVisible();
      // The plans page does not exist for this user.
      expect((await page.goto('/admin/plans'))?.status()).toBe(404);

      // An administrator finds the account and gives it a second private repository.
      const root = uniqueName(`${tag}adm`);
      addAdmin(root);
      const adminContext = await browser.newContext({ baseURL, javaScriptEnabled: js });
      const admin = await adminContext.newPage();
      await logIn(admin, js, root);
      await expect(admin).toHaveURL(/\/$/);
      await admin.locator('.user-menu summary').click();
      await admin.getByRole('link', { name: 'Plans (admin)' }).click();
      await ready(admin, js);
      await admin.getByLabel('Find account').fill(name);
      await admin.getByRole('button', { name: 'Find' }).click();
      await expect(admin.getByText('1 account', { exact: true })).toBeVisible();
      await ready(admin, js);
      const limit = admin.getByLabel(`Private repositories of ${name}`);
      await limit.fill('many');
      await admin.getByRole('button', { name: `Save plan of ${name}` }).click();
      await expect(admin.getByText('Enter a whole number from 0 to 100000.')).toBeVisible();
      await ready(admin, js);
      await admin.getByLabel(`Private repositories of ${name}`).fill('2');
      await admin.getByRole('button', { name: `Save plan of ${name}` }).click();
      await expect(admin.getByText(`Saved the plan of ${name}.`)).toBeVisible();
      await expect(admin.getByLabel(`Private repositories of ${name}`)).toHaveValue('2');
      await shot(admin, `${tag}-admin-plans`);
      await adminContext.close();

      await createRepository(page, js, 'two', 'Private');
      await expect(page).toHaveURL(new RegExp(`/r/${name}/two\\?created=1$`));
      await page.goto('/settings');
      await expect(page.getByText('2 of 2 private repositories used.')).toBeVisible();
    });
  });
}
