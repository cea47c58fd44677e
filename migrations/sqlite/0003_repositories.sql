-- Repositories in the web hub: each account's plan (how many private repositories it may have)
-- and the visibility of repositories its pushes create; collaborators; tag listing by date.
ALTER TABLE users ADD COLUMN private_repo_limit BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN default_private BIGINT NOT NULL DEFAULT 0;

CREATE TABLE collaborators (
    repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at      BIGINT NOT NULL,
    PRIMARY KEY (repository_id, user_id)
);
CREATE INDEX collaborators_user ON collaborators (user_id);

CREATE INDEX tags_pushed ON tags (repository_id, pushed_at);
