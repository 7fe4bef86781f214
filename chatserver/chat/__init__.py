"""The chat domain: guests, rooms, messages, limits, fan-out.

Nothing here imports tornado, sqlalchemy or redis; it talks to the ``Store`` and ``Broker``
interfaces and is driven by the transport through ``Gateway``.
"""
