"""Telling people about loans that need attention: the alert record and its delivery channels."""
