"""Lending rules both sides apply: the hub decides with them and a kiosk's replica applies them
offline. Pure: data and a time in, an answer out; no I/O and no clock reads."""
