"""Redis adapters (the only modules importing redis): broker, shared rate limits, staff presence."""
