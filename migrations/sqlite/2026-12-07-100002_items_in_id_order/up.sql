-- A merchant's items in id order: the export and other chunked reads page
-- with `id > last ORDER BY id`, which without it sorted every item of the
-- merchant again for each chunk of a thousand.
CREATE INDEX items_merchant_id ON items (merchant_id, id);
