"""Exchange with other agencies (信息互换、监管互认、执法互助; issue #21 B, R-P1, R-P2).

- ``kinds``: event categories (what an agency is entitled to) and CloudEvents types;
- ``signing``: Standard Webhooks signatures (HMAC-SHA256), both directions;
- ``log``: the one ordered event log, written in the transaction of each change;
- ``payloads``: what each event carries (minimal, masked personal data);
- ``subscribers``: agencies, their URL, sealed secret, entitlements and delivery state;
- ``delivery``: the at-least-once, in-order sender with backoff and dead letters;
- ``tailer``: crossings fed into the log from the gate's table by a cursor;
- ``inbound``, ``handlers``, ``reviews``: events agencies send us, routed by type;
- ``pull``: replay by cursor for an agency that was down.
"""
