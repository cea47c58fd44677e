import { expect, test } from '@playwright/test';
import { addAdmin, confirmedUser, createRepository, failOnConsoleProblems, pushImage, ready, shot, uniqueName } from './helpers';

/** Pulls `repo:tag` `times` times through the registry API (manifest GETs), anonymously. */
async function pull(baseURL: string, repo: string, tag: string, times: number) {
  const res = await fetch(`${baseURL}/token?service=berth&scope=repository:${repo}:pull`);
  const { token } = (await res.json()) as { token: string };
  for (let i = 0; i < times; i++) {
    const got = await fetch(`${baseURL}/v2/${repo}/manifests/${tag}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(got.status).toBe(200);
  }
}

for (const js of [true, false]) {
  const mode = js ? 'with JavaScript' : 'without JavaScript';
  const tag = js ? 'djs' : 'dno';

  test.describe(mode, () => {
    test.use({ javaScriptEnabled: js });
    failOnConsoleProblems(js);

    test('search from the header, filter and sort, star, the pull chart, Docker Hub links', async ({ page, baseURL }) => {
      const name = await confirmedUser(page, js, tag);
      // A word only this test's repositories carry.
      const word = uniqueName('w').slice(0, 12);
      await createRepository(page, js, `${word}-api`, 'Public', `The ${word} API server`);
      await expect(page).toHaveURL(new RegExp(`/r/${name}/${word}-api\\?created=1$`));
      await createRepository(page, js, `${word}-site`, 'Public', 'Static pages');
      await pushImage(baseURL!, name, `${name}/${word}-api`, 'v1');

      // The header's search box, on any page.
      await page.goto('/settings');
      await ready(page, js);
      await page.getByRole('searchbox', { name: 'Search repositories' }).fill(word);
      await page.getByRole('searchbox', { name: 'Search repositories' }).press('Enter');
      await expect(page).toHaveURL(new RegExp(`/search\\?q=${word}$`));
      await ready(page, js);
      const results = page.locator('#search-results');
      await expect(results).toContainText('2 repositories');
      await expect(results.locator('mark').first()).toHaveText(word);
      await shot(page, `${tag}-search`);

      // Narrow the query: with JavaScript the results follow the typing without a page load.
      if (js) {
        await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
        await page.getByRole('searchbox', { name: 'Search repositories' }).fill(`${word} api`);
        await expect(results).toContainText('1 repository');
        await expect(page).toHaveURL(/q=.*api/);
        expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
      } else {
        await page.getByRole('searchbox', { name: 'Search repositories' }).fill(`${word} api`);
        await page.getByRole('button', { name: 'Search', exact: true }).click();
        await expect(results).toContainText('1 repository');
      }
      await expect(results.getByRole('link', { name: `${name}/${word}-api` })).toBeVisible();
      // Official only: none of these; then sort by stars.
      await page.getByLabel('Official images only').check();
      if (!js) await page.getByRole('button', { name: 'Search', exact: true }).click();
      await expect(results).toContainText('No repositories match');
      await page.getByLabel('Official images only').uncheck();
      await page.getByLabel('Sort by').selectOption('stars');
      if (!js) await page.getByRole('button', { name: 'Search', exact: true }).click();
      await expect(page).toHaveURL(/sort=stars/);
      await expect(results).toContainText('1 repository');

      // Star and unstar from the repository page; the count follows.
      await results.getByRole('link', { name: `${name}/${word}-api` }).click();
      await expect(page).toHaveURL(new RegExp(`/r/${name}/${word}-api$`));
      await ready(page, js);
      const star = page.locator('.star-button');
      await expect(star).toHaveText(/Star\s*0/);
      if (js) await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
      await star.click();
      await expect(star).toHaveText(/Starred\s*1/);
      await expect(star).toHaveAttribute('aria-pressed', 'true');
      // With JavaScript the button changes in place, without a page load.
      if (js) expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
      await page.reload();
      await ready(page, js);
      await expect(page.locator('.star-button')).toHaveText(/Starred\s*1/);
      await page.goto(`/u/${name}?tab=starred`);
      await expect(page.getByRole('link', { name: `${name}/${word}-api` })).toBeVisible();
      await page.goto(`/r/${name}/${word}-api`);
      await ready(page, js);
      await page.locator('.star-button').click();
      await expect(page.locator('.star-button')).toHaveText(/Star\s*0/);

      // Pulls appear in the chart and on the tag (written about once a second).
      await pull(baseURL!, `${name}/${word}-api`, 'v1', 3);
      await expect(async () => {
        await page.goto(`/r/${name}/${word}-api`);
        await expect(page.locator('.pull-chart')).toContainText('3 pulls in the last 30 days', { timeout: 500 });
      }).toPass({ timeout: 10_000 });
      await expect(page.getByRole('img', { name: /3 pulls in the last 30 days/ })).toBeVisible();
      await shot(page, `${tag}-pull-chart`);

      // Docker Hub's addresses: the Tags tab, and an official image's page.
      await page.goto(`/r/${name}/${word}-api/tags`);
      await expect(page).toHaveURL(new RegExp(`/r/${name}/${word}-api\\?tab=tags$`));
      const row = page.locator('.tag-card', { has: page.getByRole('link', { name: 'v1', exact: true }) });
      await expect(row).toContainText('3 pulls');
      const admin = uniqueName(`${tag}adm`);
      addAdmin(admin);
      await pushImage(baseURL!, admin, `library/${word}`, 'latest');
      await page.goto(`/_/${word}`);
      await expect(page).toHaveURL(new RegExp(`/r/library/${word}$`));
      await expect(page.getByRole('heading', { name: `library / ${word}` })).toBeVisible();
      await expect(page.locator('.repo-title .badge-official')).toHaveText('Official image');
      await page.goto('/explore');
      await expect(page.locator('.repo-list .repo-item').first().locator('.badge-official')).toBeVisible();
      await shot(page, `${tag}-explore`);
      await page.goto(`/_/${word}/nothing-here`);
      await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    });
  });
}

test('anonymous visitors see stars but are asked to log in, and never private repositories', async ({ page, browser, baseURL }) => {
  const name = await confirmedUser(page, true, 'dpr');
  const word = uniqueName('p').slice(0, 12);
  await createRepository(page, true, `${word}-hidden`, 'Private');
  await createRepository(page, true, `${word}-shown`, 'Public');
  await page.goto(`/search?q=${word}`);
  await expect(page.locator('#search-results')).toContainText('2 repositories');
  const other = await browser.newContext({ baseURL });
  const anon = await other.newPage();
  await anon.goto(`/search?q=${word}`);
  await expect(anon.locator('#search-results')).toContainText('1 repository');
  await expect(anon.getByText(`${word}-hidden`)).toHaveCount(0);
  await anon.goto(`/r/${name}/${word}-shown`);
  await expect(anon.locator('.star-static')).toContainText('0 stars');
  await expect(anon.locator('.star-button')).toHaveCount(0);
  await other.close();
});
