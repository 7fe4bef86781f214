"""The fan-out engine: local room streams over the broker, in seq order, gaps filled from the
store.
"""
