"""Paying orders: the member's pages in views.py (checkout, report, slip, receipt) and
the gateways' endpoints (webhooks, the demo provider's hosted page) in webhooks.py."""
