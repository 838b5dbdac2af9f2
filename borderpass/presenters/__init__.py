"""Serialisers: domain objects as the JSON the doors send (issue #24).

One function per resource, shared by the mini-program API and the console; the services
return domain objects and never build a response. Presenters import services and models,
never a door, and no service imports them.
"""
