"""Values and rules of customer-support chat: rooms, messages, who may see what. Imports nothing of
tornado, SQLAlchemy, redis or the wire protocol.
"""
