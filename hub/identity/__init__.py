"""Signing in through the institution's accounts: an OpenID Connect provider or an LDAP
directory, each mapped to a person of the cage and to a dashboard user."""
