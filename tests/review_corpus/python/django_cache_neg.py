# expect: none
"""Django's cache API over django-redis: cache.set uses the backend's default TIMEOUT."""
from django.core.cache import cache


def remember(user):
    cache.set(f"user:profile:{user.id}", user.name)
    return cache.get("user:count")
