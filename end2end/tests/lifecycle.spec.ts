import { expect, test } from '@playwright/test';
import { confirmedUser, createRepository, failOnConsoleProblems, pushImage, ready, shot, sql } from './helpers';

// Tag rules in the browser, with and without JavaScript: a bad pattern is refused beside its
// field, an immutable-tag rule and a retention rule are saved, the preview lists exactly what
// goes, running it deletes that (logged), and the repository's stored size drops.

for (const js of [true, false]) {
  test.describe(`tag rules ${js ? 'with' : 'without'} JavaScript`, () => {
    test.use({ javaScriptEnabled: js });
    failOnConsoleProblems(js);

    test('set an immutable rule, preview and run a retention rule, see usage change', async ({ page, baseURL }) => {
      const mode = js ? 'js' : 'nojs';
      const owner = await confirmedUser(page, js, 'tr');
      await createRepository(page, js, 'app', 'Public');
      await expect(page).toHaveURL(new RegExp(`/r/${owner}/app\\?created=1$`));
      for (const [i, tag] of ['t1', 't2', 't3'].entries()) {
        // Images of their own (the other mode's test pushes others), so deleting them frees bytes.
        await pushImage(baseURL!, owner, `${owner}/app`, tag, 10 + i + (js ? 0 : 20));
      }
      // Oldest first: t1, then t2, then t3.
      sql(`UPDATE tags SET pushed_at = pushed_at - 300 WHERE name = 't1' AND repository_id = (SELECT id FROM repositories WHERE full_name = ?)`, [`${owner}/app`]);
      sql(`UPDATE tags SET pushed_at = pushed_at - 200 WHERE name = 't2' AND repository_id = (SELECT id FROM repositories WHERE full_name = ?)`, [`${owner}/app`]);

      await page.goto(`/r/${owner}/app?tab=settings&section=rules`);
      await ready(page, js);
      const before = await page.locator('.stored-size').innerText();
      const rules = page.locator('#tag-rules');
      await expect(rules.locator('.storage-usage')).toContainText(`The namespace ${owner} stores`);

      // A pattern that is not a regular expression: refused beside the field, nothing saved.
      await rules.getByLabel('Tags matching a regular expression').check();
      await rules.getByLabel('Immutable tags match').fill('t[');
      await rules.getByLabel('Keep only the newest (tags)').fill('1');
      await rules.getByRole('button', { name: 'Save tag rules' }).click();
      await expect(page.locator('#tag-rules').getByText('Not a regular expression')).toBeVisible();
      await expect(page.locator('#tag-rules').getByLabel('Keep only the newest (tags)')).toHaveValue('1');

      await page.locator('#tag-rules').getByLabel('Immutable tags match').fill('t3');
      await page.locator('#tag-rules').getByRole('button', { name: 'Save tag rules' }).click();
      await expect(page.getByText('Tag rules saved.')).toBeVisible();
      await expect(page.locator('#tag-rules').getByLabel('Immutable tags match')).toHaveValue('t3');

      await page.locator('#tag-rules').getByRole('link', { name: 'Preview retention' }).click();
      const preview = page.getByRole('region', { name: 'Retention preview' });
      await expect(preview).toContainText(/4 to delete, freeing 4\.\d kB \(/);
      await expect(preview).toContainText(`${owner}/app:t1`);
      await expect(preview).toContainText(`${owner}/app:t2`);
      await expect(preview).not.toContainText(`${owner}/app:t3`);
      await shot(page, `lifecycle-preview-${mode}`);
      await preview.getByRole('button', { name: 'Run retention rules now' }).click();
      await expect(page.getByText('Retention rules ran')).toBeVisible();
      await expect(page.locator('.retention-log')).toContainText(`${owner}/app:t1`);
      await expect(page.locator('.retention-log')).toContainText('keeps the newest 1');
      // The log frees what the preview said (it read 0 B once).
      await expect(page.locator('.retention-log')).toContainText(/frees \d/);
      const after = await page.locator('.stored-size').innerText();
      expect(after).not.toBe(before);

      await page.goto(`/r/${owner}/app?tab=tags`);
      await ready(page, js);
      await expect(page.getByText('Tags (1)')).toBeVisible();
      // The immutable tag that stayed wears a lock and is offered no Delete.
      await expect(page.locator('.tag-card').filter({ hasText: 't3' }).locator('.badge-immutable')).toBeVisible();
      await expect(page.getByRole('link', { name: 'Delete tag t3' })).toHaveCount(0);
    });
  });
}
