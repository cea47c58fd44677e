import { expect, test, type Browser, type Page } from '@playwright/test';
import { Engine } from './docker';
import { PASSWORD, confirmedUser, ready, shot, uniqueName, waitForMail, watchConsole } from './helpers';

// Organizations in the browser, with and without JavaScript, and a real Docker engine: create an
// organization, invite a second user by mail, accept, create a team, grant it write on a
// repository, the member pushes with docker, the member is removed and can no longer pull.
let engine: Engine;
test.beforeAll(async () => {
  test.setTimeout(120_000);
  engine = await Engine.start();
  engine.importImage('berth-e2e/org:1');
});
test.afterAll(async () => {
  await engine?.stop();
});

async function session(browser: Browser, baseURL: string, js: boolean) {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: js });
  const page = await context.newPage();
  const problems = watchConsole(page, js);
  return { context, page, problems };
}

async function go(page: Page, js: boolean, path: string) {
  await page.goto(path);
  await ready(page, js);
}

for (const js of [true, false]) {
  test(`an organization from creation to a removed member ${js ? 'with' : 'without'} JavaScript`, async ({ browser, baseURL }) => {
    test.setTimeout(240_000);
    const mode = js ? 'js' : 'nojs';
    const host = new URL(baseURL!).host;
    const owner = await session(browser, baseURL!, js);
    const member = await session(browser, baseURL!, js);
    const ownerName = await confirmedUser(owner.page, js, 'oo');
    const memberName = await confirmedUser(member.page, js, 'om');
    const org = uniqueName('acme');

    // Create the organization from the dashboard.
    await ready(owner.page, js);
    await owner.page.getByRole('complementary', { name: 'Organizations' }).getByRole('link', { name: 'Create' }).click();
    await expect(owner.page).toHaveURL(/\/organizations\/new$/);
    await ready(owner.page, js);
    await owner.page.getByLabel('Organization name').fill(org);
    await owner.page.getByLabel('Display name').fill('Acme <Widgets>');
    await owner.page.getByLabel('Email for notices').fill('ops@example.com');
    await owner.page.getByRole('button', { name: 'Create organization' }).click();
    await expect(owner.page).toHaveURL(new RegExp(`/u/${org}\\?created=1$`));
    await expect(owner.page.getByRole('heading', { name: 'Acme <Widgets>' })).toBeVisible();

    // Invite the second user by their address; the mail's link opens the invitation.
    await owner.page.getByRole('link', { name: 'Members' }).click();
    await ready(owner.page, js);
    await owner.page.getByLabel('Berth ID or email address').fill(`${memberName}@example.com`);
    await owner.page.getByLabel(/^Member/).check();
    await owner.page.getByRole('button', { name: 'Send invitation' }).click();
    await expect(owner.page.getByText('Invitation sent')).toBeVisible();
    await expect(owner.page.locator('.member-list').last()).toContainText(memberName);
    await shot(owner.page, `orgs-members-${mode}`);
    const mail = await waitForMail(`${memberName}@example.com`, 1);
    expect(mail.subject).toBe(`${ownerName} invited you to join ${org} on Berth`);
    const link = /(https?:\/\/[^\s"<>]+\/invitations\/[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    expect(link, mail.text).toBeTruthy();
    await go(member.page, js, link!);
    await expect(member.page.getByText(`${ownerName} invited you to join the organization ${org} as member.`)).toBeVisible();
    await shot(member.page, `orgs-invitation-${mode}`);
    await member.page.getByRole('button', { name: 'Accept' }).click();
    await expect(member.page).toHaveURL(new RegExp(`/u/${org}\\?joined=1$`));
    await expect(member.page.getByText('you are a member')).toBeVisible();

    // A team with the member in it.
    await go(owner.page, js, `/u/${org}?tab=teams`);
    await owner.page.getByLabel('Team name').fill('devs');
    await owner.page.getByLabel('Description').fill('People who push');
    await owner.page.getByRole('button', { name: 'Create team' }).click();
    await expect(owner.page).toHaveURL(new RegExp(`/u/${org}\\?tab=teams&team=devs$`));
    await ready(owner.page, js);
    await owner.page.getByLabel('Berth ID of a member').fill(memberName);
    await owner.page.getByRole('button', { name: 'Add to team' }).click();
    await expect(owner.page.getByText('Team members saved')).toBeVisible();
    await expect(owner.page.locator('.collaborators').first()).toContainText(memberName);
    await shot(owner.page, `orgs-team-${mode}`);

    // A private repository of the organization, created from its page, and write for the team.
    await go(owner.page, js, `/u/${org}`);
    await owner.page.getByRole('link', { name: 'Create repository' }).click();
    await ready(owner.page, js);
    await expect(owner.page.getByLabel('Namespace')).toHaveValue(org);
    await owner.page.getByLabel('Repository name').fill('app');
    await owner.page.getByLabel('Private').check();
    await owner.page.getByRole('button', { name: 'Create' }).click();
    await expect(owner.page).toHaveURL(new RegExp(`/r/${org}/app\\?created=1$`));
    await go(owner.page, js, `/r/${org}/app?tab=settings&section=access`);
    await owner.page.getByLabel('Team', { exact: true }).selectOption('devs');
    await owner.page.getByLabel('Permission').selectOption('write');
    await owner.page.getByRole('button', { name: 'Grant' }).click();
    await expect(owner.page.getByText('Team permissions saved')).toBeVisible();
    await expect(owner.page.locator('.panel', { hasText: 'Team permissions saved' })).toContainText('Read & Write');
    await shot(owner.page, `orgs-repo-teams-${mode}`);

    // The member pushes with docker, and sees the repository in the organization.
    const image = `${host}/${org}/app:v1`;
    expect(engine.login(memberName, host, PASSWORD)).toContain('Login Succeeded');
    engine.ok(memberName, ['tag', 'berth-e2e/org:1', image]);
    expect(engine.ok(memberName, ['push', image])).toMatch(/v1: digest: sha256:/);
    await go(member.page, js, `/u/${org}`);
    await expect(member.page.getByRole('link', { name: `${org}/app` })).toBeVisible();
    await shot(member.page, `orgs-page-${mode}`);

    // Removed, the member loses the repository at once: the page and docker pull.
    await go(owner.page, js, `/u/${org}?tab=members`);
    // Asked first (a page of its own without JavaScript), then done.
    await owner.page.getByRole('link', { name: `Remove ${memberName}` }).click();
    await expect(owner.page.locator('#confirm')).toContainText(`Remove ${memberName} from ${org}?`);
    await owner.page.locator('#confirm').getByRole('button', { name: `Remove ${memberName}` }).click();
    await expect(owner.page.getByText('Member removed')).toBeVisible();
    await expect(owner.page.locator('.member-list').first()).not.toContainText(memberName);
    engine.ok(memberName, ['rmi', image]);
    expect(engine.fails(memberName, ['pull', image])).toContain('name unknown');
    const res = await member.page.goto(`/r/${org}/app`);
    expect(res?.status()).toBe(404);

    expect(owner.problems, 'owner console').toEqual([]);
    expect(member.problems, 'member console').toEqual([]);
    await owner.context.close();
    await member.context.close();
  });
}
