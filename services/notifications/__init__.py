"""Notifications: email, webhooks, the in-app feed and live updates."""
