"""SQL of the notifications service, one module per topic (tables are found on the service role's search path).

Callers import the package and name the topic: ``db.feed.add_notifications(conn, ...)``.
"""

from services.notifications.db import alerts, deliveries, feed, preferences, recipients, webhooks

__all__ = ["alerts", "deliveries", "feed", "preferences", "recipients", "webhooks"]
