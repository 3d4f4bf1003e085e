"""Local stand-ins for HGRIP's external peers (HGRG, an SMTP server, an SMS gateway, the data
repositories) and `hgrip-run`.

Each stand-in is a small real server speaking the protocol documented in docs/protocols/, so the
platform talks to it exactly as it would talk to the real peer.
"""
