-- The merchant's own online store: where the hosted shop's "Buy online"
-- leads, as a URL pattern with {sku} and/or {id}. NULL: no such store, and
-- the shop shows online availability as text.
ALTER TABLE merchants ADD COLUMN storefront_url_pattern TEXT;
