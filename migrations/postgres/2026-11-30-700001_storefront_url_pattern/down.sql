ALTER TABLE merchants DROP COLUMN storefront_url_pattern;
