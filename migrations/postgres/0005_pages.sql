-- Each repository's number of tags, kept by triggers in the same transaction as every tag
-- change (push, delete, cascade), so lists and tab labels read it instead of counting.
ALTER TABLE repositories ADD COLUMN tag_count BIGINT NOT NULL DEFAULT 0;
UPDATE repositories SET tag_count = (SELECT COUNT(*) FROM tags WHERE tags.repository_id = repositories.id);

CREATE FUNCTION berth_count_tags() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE repositories SET tag_count = tag_count + 1 WHERE id = NEW.repository_id;
        RETURN NEW;
    ELSE
        UPDATE repositories SET tag_count = tag_count - 1 WHERE id = OLD.repository_id;
        RETURN OLD;
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tags_counted AFTER INSERT OR DELETE ON tags
    FOR EACH ROW EXECUTE FUNCTION berth_count_tags();

-- A layer's size uncompressed, measured in the background after its first push (NULL until
-- then, or when its compression is not one Berth reads).
ALTER TABLE blobs ADD COLUMN uncompressed_size BIGINT;
