-- Organizations share the one name space of accounts: an organization is a row of `users`
-- marked `is_org` (so no Berth ID can equal an organization's name, repositories keep one
-- owner column, and the plan's quota is the organization's). It has no password and no login
-- address: `email_lower` holds a marker that no address can equal, `email` the notice address.
ALTER TABLE users ADD COLUMN is_org BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';

-- role: 'member', 'editor' or 'owner'.
CREATE TABLE org_members (
    org_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role      TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members (user_id);

-- Pending invitations; accepting, declining or revoking deletes the row (single use).
-- user_id is the invited account when invited by Berth ID.
CREATE TABLE org_invitations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_id    BIGINT REFERENCES users(id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    role       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX org_invitations_org ON org_invitations (org_id);
CREATE INDEX org_invitations_user ON org_invitations (user_id);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- permission: 1 read, 2 read & write, 3 admin (cumulative, so the highest of a member's teams wins).
CREATE TABLE team_repositories (
    team_id       BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    permission    BIGINT NOT NULL,
    PRIMARY KEY (team_id, repository_id)
);
CREATE INDEX team_repositories_repository ON team_repositories (repository_id);

-- The names a repository had before a transfer; reusing a name (creating a repository there)
-- removes its row.
CREATE TABLE repository_redirects (
    full_name     TEXT PRIMARY KEY,
    repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL
);
CREATE INDEX repository_redirects_repository ON repository_redirects (repository_id);
