"""Verifies shelfsync's webhook deliveries with the Standard Webhooks
reference library from PyPI (`standardwebhooks`), as a storefront would.

Reads a JSON list of {"secret", "headers", "body"} on stdin; exits non-zero
naming the first delivery that does not verify, else prints "verified N".
"""
import json
import sys

from standardwebhooks.webhooks import Webhook

deliveries = json.load(sys.stdin)
for index, delivery in enumerate(deliveries):
    try:
        Webhook(delivery["secret"]).verify(delivery["body"], delivery["headers"])
    except Exception as error:  # the library raises its own verification errors
        print(f"delivery {index} ({delivery['headers'].get('webhook-id')}) does not verify: {error!r}")
        sys.exit(1)
print(f"verified {len(deliveries)}")
