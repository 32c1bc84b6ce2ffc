DROP INDEX items_merchant_id;
