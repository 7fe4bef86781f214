"""The protocol conformance suite: checks any server against protocol.md over the network.

Run it with ``chatserver conformance --url ws://HOST:PORT/realtime --business ID --jwt-secret S``
(see ``command.py`` for every option). Each case names the protocol.md section it checks; the
exit code is 0 only when every case ran and passed.
"""
