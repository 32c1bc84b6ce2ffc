DROP TABLE webhook_manual_sends;
