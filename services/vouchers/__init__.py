"""Vouchers: programmes, budgets, applications, allocation, vouchers, redemption and the ledger."""
