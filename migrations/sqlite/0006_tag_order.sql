-- The Tags tab's newest-first order (pushed_at descending, then name) read straight from an
-- index, without sorting the repository's tags on every page view.
DROP INDEX tags_pushed;
CREATE INDEX tags_newest ON tags (repository_id, pushed_at DESC, name);
