-- Each repository's number of tags, kept by triggers in the same transaction as every tag
-- change (push, delete, cascade), so lists and tab labels read it instead of counting.
ALTER TABLE repositories ADD COLUMN tag_count BIGINT NOT NULL DEFAULT 0;
UPDATE repositories SET tag_count = (SELECT COUNT(*) FROM tags WHERE tags.repository_id = repositories.id);

CREATE TRIGGER tags_counted_on_insert AFTER INSERT ON tags BEGIN
    UPDATE repositories SET tag_count = tag_count + 1 WHERE id = NEW.repository_id;
END;
CREATE TRIGGER tags_counted_on_delete AFTER DELETE ON tags BEGIN
    UPDATE repositories SET tag_count = tag_count - 1 WHERE id = OLD.repository_id;
END;

-- A layer's size uncompressed, measured in the background after its first push (NULL until
-- then, or when its compression is not one Berth reads).
ALTER TABLE blobs ADD COLUMN uncompressed_size BIGINT;
