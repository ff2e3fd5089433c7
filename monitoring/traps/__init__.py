"""SNMP trap receiver: receive fast, decode with the stdlib BER codec, store in batches.

`events` is the published interface (what the alarm lifecycle consumes); the rest is
the receiver's inside.
"""
