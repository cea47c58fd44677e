-- Discover: stars, pull statistics per day and per tag, and the full-text index search reads.

-- Stars, one per account and repository; each repository's count kept by triggers in the same
-- transaction as the star (and as the cascades when an account or repository goes).
CREATE TABLE stars (
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    starred_at    BIGINT NOT NULL,
    PRIMARY KEY (user_id, repository_id)
);
CREATE INDEX stars_repository ON stars (repository_id);
CREATE INDEX stars_newest ON stars (user_id, starred_at DESC);
ALTER TABLE repositories ADD COLUMN star_count BIGINT NOT NULL DEFAULT 0;
CREATE TRIGGER stars_counted_on_insert AFTER INSERT ON stars BEGIN
    UPDATE repositories SET star_count = star_count + 1 WHERE id = NEW.repository_id;
END;
CREATE TRIGGER stars_counted_on_delete AFTER DELETE ON stars BEGIN
    UPDATE repositories SET star_count = star_count - 1 WHERE id = OLD.repository_id;
END;

-- Pulls per repository and UTC day (days since 1970-01-01), added to by every flush.
CREATE TABLE pull_days (
    repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    day           BIGINT NOT NULL,
    pulls         BIGINT NOT NULL,
    PRIMARY KEY (repository_id, day)
);
-- Pulls per tag, and when it was last pulled.
ALTER TABLE tags ADD COLUMN pull_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tags ADD COLUMN last_pulled_at BIGINT;

-- Sort orders of search, each also with official images first (explore, and search without
-- words), so a page is read from an index instead of sorting every repository.
CREATE INDEX repositories_pulls ON repositories (pull_count DESC);
CREATE INDEX repositories_stars ON repositories (star_count DESC, pull_count DESC);
CREATE INDEX repositories_updated ON repositories (COALESCE(last_pushed_at, created_at) DESC);
CREATE INDEX repositories_official_pulls ON repositories ((namespace = 'library') DESC, pull_count DESC, full_name);
CREATE INDEX repositories_official_stars ON repositories ((namespace = 'library') DESC, star_count DESC, pull_count DESC, full_name);
CREATE INDEX repositories_official_updated ON repositories ((namespace = 'library') DESC, COALESCE(last_pushed_at, created_at) DESC, full_name);

-- Full-text index over namespace, name and short description (FTS5 reads '-', '_', '.' as
-- separators, so `my-web_app` is found by `web`). It holds no copy of the text (external
-- content) and is kept by triggers in the same transaction as every repository change.
CREATE VIRTUAL TABLE repositories_fts USING fts5(
    namespace, name, description, content='repositories', content_rowid='id'
);
INSERT INTO repositories_fts (repositories_fts) VALUES ('rebuild');
CREATE TRIGGER repositories_fts_insert AFTER INSERT ON repositories BEGIN
    INSERT INTO repositories_fts (rowid, namespace, name, description)
    VALUES (NEW.id, NEW.namespace, NEW.name, NEW.description);
END;
CREATE TRIGGER repositories_fts_delete AFTER DELETE ON repositories BEGIN
    INSERT INTO repositories_fts (repositories_fts, rowid, namespace, name, description)
    VALUES ('delete', OLD.id, OLD.namespace, OLD.name, OLD.description);
END;
CREATE TRIGGER repositories_fts_update AFTER UPDATE OF namespace, name, description ON repositories BEGIN
    INSERT INTO repositories_fts (repositories_fts, rowid, namespace, name, description)
    VALUES ('delete', OLD.id, OLD.namespace, OLD.name, OLD.description);
    INSERT INTO repositories_fts (rowid, namespace, name, description)
    VALUES (NEW.id, NEW.namespace, NEW.name, NEW.description);
END;
