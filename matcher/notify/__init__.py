"""Messages that leave the service: HR webhook deliveries (signed), the receivers' verifier, mail senders.

May import: ``ranking`` and everything below it.
"""
